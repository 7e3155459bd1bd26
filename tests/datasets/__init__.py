"""Tests of mstsim.datasets (readers, formats, preprocessing)."""
