"""Stand-in for the pip bootstrap script ansible-test downloads from a host this machine cannot reach.

ansible-test runs it inside each fresh virtualenv with pip's options and the pinned pip version as arguments.
It bootstraps pip from the interpreter's own ensurepip, then installs the requested pip from PyPI.
"""

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
