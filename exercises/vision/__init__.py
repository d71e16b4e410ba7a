"""What the network-visualization (Q3) and style-transfer (Q4) packs share: the images, the SqueezeNet in
each worker, calling the worker-side harness (``cs231n/vision_harness.py``) and the metrics on images."""
