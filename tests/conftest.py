"""Shared Hypothesis profiles: `ci` (derandomised, used when CI is set) and `dev`; the import cache off."""
import os

# every test imports afresh (and writes nothing to the user's cache); tests/importer/test_cache.py turns it on
os.environ["MSTSIM_CACHE_DIR"] = "off"

from hypothesis import HealthCheck, settings

settings.register_profile("ci", deadline=None, derandomize=True, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
