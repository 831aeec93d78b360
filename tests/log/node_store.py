"""The hub's prover without a database: perfect nodes in a dict, filled leaf by leaf with
the math storage uses (`perfect_nodes_for_append`), read back through `range_hash`."""

from hub.log import merkle


class NodeStore:
    """Perfect nodes in a dict, filled leaf by leaf with ``perfect_nodes_for_append``."""

    def __init__(self, entries: list[bytes]) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.reads = 0
        for index, entry in enumerate(entries):
            rows = merkle.perfect_nodes_for_append(index, merkle.leaf_hash(entry), self.node)
            for level, node_index, value in rows:
                self.nodes[level, node_index] = value

    def node(self, level: int, index: int) -> bytes:
        self.reads += 1
        return self.nodes[level, index]

    def range_hash(self, start: int, end: int) -> bytes:
        return merkle.range_hash(start, end, self.node)
