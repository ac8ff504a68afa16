"""The domain core: pure rules of the hall. No I/O and no clock reads; time is passed in."""
