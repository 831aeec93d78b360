"""The PDQ engine: an exact index for Hamming-distance search, its snapshot file, and
bulk reads of packed hashes. Knows nothing of contents or lists."""
