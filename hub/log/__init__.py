"""The signed exchange log: RFC 9162 Merkle tree math, C2SP checkpoints and signed notes,
with the storage and router that serve them to auditors."""
