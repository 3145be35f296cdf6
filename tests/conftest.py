import os
import sys
from pathlib import Path

# scikit-learn's check suite runs its array-API input check (with plain numpy
# arrays, since skreg does not claim array-API support) only when scipy's array
# API mode is on; without it those checks are skipped.  Turn it on before scipy
# is imported so that every check of the suite runs.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

sys.path.insert(0, str(Path(__file__).parent))
