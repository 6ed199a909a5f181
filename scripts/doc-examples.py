#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The examples of the admin guides, for the guest test that runs them
(tests/cases/doc-examples.sh), so that the documentation cannot drift from
the code.

    doc-examples.py check          every example is marked (below)
    doc-examples.py extract DIR    DIR/NN-NAME.block, one per marked example

An example is a literal block holding a command line: a line "# CMD" whose
CMD starts with one of the COMMANDS below or sets a shell variable
(S=$(...)); the commands of a guide run in one shell. Every one is preceded (anywhere
after the previous literal block) by a comment naming it:

    .. fm-example: NAME [status-only]
       before N: SHELL COMMAND      run (hidden) before the block's Nth command
       fails N                      the Nth command must fail
       skip N: REASON               the Nth command is not run (REASON)

"status-only": the commands must succeed, their output depends on the
host's disks and is not compared. Or, for an example no test can run:

    .. fm-example-untested: REASON

A .block file holds the directives ("@before N CMD", "@fails N",
"@skip N REASON", "@status-only"), then the literal block, dedented;
DIR/commands.re is the regular expression (ERE) of a command line.
"""
import glob
import os
import re
import sys

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
COMMANDS = ("dmsetup", "forkmirror", "cat", "echo", "nbd-client",
            "systemctl", "blockdev", "lvm", "pvcreate", "vgcreate", "dd")
# A command line: one of COMMANDS, or a shell variable set (S=...).
CMD_ERE = r"^# ((%s)( |$)|[A-Z][A-Z0-9_]*=)" % "|".join(COMMANDS)
CMD_RE = re.compile(CMD_ERE)
MARK_RE = re.compile(r"^\.\. fm-example: ([a-z0-9-]+)((?: [a-z-]+)*)\s*$")
UNTESTED_RE = re.compile(r"^\.\. fm-example-untested: \S")
DIRECTIVE_RE = re.compile(
    r"^   (before (\d+): (.+)|fails (\d+)|skip (\d+): (.+))\s*$")


def literal_blocks(lines):
    """(start index, dedented lines) of each literal block."""
    i = 0
    while i < len(lines):
        if lines[i].rstrip().endswith("::") and not lines[i].startswith(".."):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            start = j
            body = []
            while j < len(lines) and (not lines[j].strip() or
                                      lines[j].startswith(" ")):
                body.append(lines[j])
                j += 1
            while body and not body[-1].strip():
                body.pop()
            if body and body[0].startswith(" "):
                ind = len(body[0]) - len(body[0].lstrip())
                yield start, [b[ind:] if b.strip() else "" for b in body]
            i = j
        else:
            i += 1


def examples(path):
    """[(name, flags, directives, block lines) | None (untested)], errors."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out, errs = [], []
    prev = 0
    rel = os.path.relpath(path, TOP)
    for start, block in literal_blocks(lines):
        if not any(CMD_RE.match(b) for b in block):
            prev = start
            continue
        mark = None
        for k in range(prev, start):
            m = MARK_RE.match(lines[k])
            if m or UNTESTED_RE.match(lines[k]):
                if mark is not None:
                    errs.append("%s:%d: two marks for one example" % (rel, k + 1))
                mark = (k, m)
        if mark is None:
            errs.append("%s:%d: example not marked (.. fm-example: NAME)" %
                        (rel, start + 1))
        elif mark[1] is None:
            out.append(None)
        else:
            k, m = mark
            flags = m.group(2).split()
            for fl in flags:
                if fl != "status-only":
                    errs.append("%s:%d: unknown flag %s" % (rel, k + 1, fl))
            dirs = []
            k += 1
            while k < start and DIRECTIVE_RE.match(lines[k]):
                d = DIRECTIVE_RE.match(lines[k])
                if d.group(2):
                    dirs.append("@before %s %s" % (d.group(2), d.group(3)))
                elif d.group(4):
                    dirs.append("@fails %s" % d.group(4))
                else:
                    dirs.append("@skip %s %s" % (d.group(5), d.group(6)))
                k += 1
            out.append((m.group(1), flags, dirs, block))
        prev = start
    return out, errs


def main(argv):
    if len(argv) < 2 or argv[1] not in ("check", "extract") or \
            (argv[1] == "extract") != (len(argv) == 3):
        print("usage: doc-examples.py check | extract DIR", file=sys.stderr)
        return 2
    paths = sorted(glob.glob(os.path.join(TOP, "Documentation", "**", "*.rst"),
                             recursive=True))
    allex, errs, names = [], [], set()
    for p in paths:
        ex, e = examples(p)
        errs += e
        for x in ex:
            if x is None:
                continue
            if x[0] in names:
                errs.append("%s: example name %s used twice" %
                            (os.path.relpath(p, TOP), x[0]))
            names.add(x[0])
            allex.append(x)
    for e in errs:
        print("FAIL", e)
    if errs:
        return 1
    if argv[1] == "check":
        print("ok %d examples marked" % len(allex))
        return 0
    os.makedirs(argv[2], exist_ok=True)
    with open(os.path.join(argv[2], "commands.re"), "w") as f:
        f.write(CMD_ERE + "\n")
    for n, (name, flags, dirs, block) in enumerate(allex, 1):
        with open(os.path.join(argv[2], "%02d-%s.block" % (n, name)), "w") as f:
            for fl in flags:
                f.write("@%s\n" % fl)
            for d in dirs:
                f.write(d + "\n")
            for b in block:
                f.write(b + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
