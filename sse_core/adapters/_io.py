"""What the adapters' socket code shares."""

__all__ = ["READ_SIZE"]

# One recv's worth: 64 KiB holds many events yet keeps each read's copy
# small, and it is what a loopback or LAN socket hands over at once.
READ_SIZE = 65536
