# The single place the version is written; CMake and the Python build both read it.
__version__ = "0.1.0"
