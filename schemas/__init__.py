"""Wire models of the Hotline Exchange Protocol v1 (../shared/PROTOCOL.md).

Shared by the hub and the client SDK; nothing here is internal to the server.
"""
