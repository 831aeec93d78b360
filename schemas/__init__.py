"""Wire models of the Hotline Exchange Protocol (docs/protocol.md).

Shared by the hub and the client SDK; nothing here is internal to the server.
"""
