"""Exercise packs: one plugin module per notebook section of the assignment."""
