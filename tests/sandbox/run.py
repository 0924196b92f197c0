"""Start the ARM sandbox: python tests/sandbox/run.py --state-dir DIR [--port 0] [--fixtures FILE ...]."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from armsandbox.main import main

if __name__ == "__main__":
    sys.exit(main())
