"""Format readers: each normalises one file format into chunks mapped to original lines."""
