"""Support shared by the two captioning notebooks' exercise packs."""
