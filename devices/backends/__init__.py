"""Real device backends, one module each (OpenCV, libfprint, PC/SC, document, gates).

Heavy and optional libraries are imported by the module that needs them; the
factory imports a backend module only when a device of that backend is built.
"""
