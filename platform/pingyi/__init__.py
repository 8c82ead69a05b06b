"""pingyi: public evaluation platform for government service halls."""

__version__ = "0.1.0"
