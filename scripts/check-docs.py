#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Parse every reStructuredText file of Documentation/ with docutils and fail
on any warning (broken tables, title underlines, bad markup); check the man
page with groff's warnings on."""
import glob
import os
import subprocess
import sys

import docutils.core
import docutils.utils

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
bad = 0
for path in sorted(glob.glob(os.path.join(top, "Documentation", "**", "*.rst"),
                             recursive=True)):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        docutils.core.publish_doctree(
            text, source_path=path,
            settings_overrides={"report_level": 2, "halt_level": 2,
                                "warning_stream": sys.stdout})
        print("ok", os.path.relpath(path, top))
    except docutils.utils.SystemMessage as e:
        print("FAIL", os.path.relpath(path, top), e)
        bad += 1
for page in sorted(glob.glob(os.path.join(top, "tools", "*.[1-8]"))):
    out = subprocess.run(["groff", "-man", "-ww", "-z", "-Tutf8", page],
                         capture_output=True, text=True,
                         env=dict(os.environ, LC_ALL="C.UTF-8"))
    if out.returncode or out.stdout or out.stderr:
        print("FAIL", os.path.relpath(page, top), out.stdout + out.stderr)
        bad += 1
    else:
        print("ok", os.path.relpath(page, top))
sys.exit(1 if bad else 0)
