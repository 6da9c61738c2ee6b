"""星途 Startrip: shopping trips for autistic people, their families and friendly shops."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
