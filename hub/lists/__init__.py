"""Hash lists: known content from IWF, NCMEC, C3P or a hotline's own catalogue, imported
in versions and looked up when a report arrives (docs/lists.md)."""
