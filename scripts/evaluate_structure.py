"""Score the structure layer (post links, document parsing, date normalisation) against gold.

    python -m scripts.evaluate_structure --data corpus.jsonl --gold gold.jsonl [--output metrics.json]
"""
from __future__ import annotations

import sys

from training.structure_eval import main

if __name__ == "__main__":
    sys.exit(main())
