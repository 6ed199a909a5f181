#!/usr/bin/python3
"""Run the guest test cases in QEMU (TCG) and report PASS/FAIL per case.

    runner.py --kernel BZIMAGE --initrd BASE.cpio --overlay OVERLAY.cpio
              [--cases-dir tests/cases] [--jobs 2] [--kernel-label stock]
              [--workdir DIR] [--keep] [--timeout-scale F]
              [--boot pvh|bzimage] [--append PARAMS] [-v] [--console]
              [CASE ...]
    runner.py --list [--cases-dir DIR]
    runner.py --self-test-scanner

Each case is tests/cases/NAME.sh, run in the guest by /init
(tests/lib/guest-init.sh).  Directives, one per line in the case file:

    #@ timeout: SECONDS            per phase, default 300
    #@ phases: N                   default 1; the disks and the NVDIMM file
                                   are kept from one phase to the next
    #@ kill-on-marker: PHASE LINE  SIGKILL QEMU when LINE is printed
    #@ kill-after: PHASE SECONDS   SIGKILL QEMU SECONDS after FM-CASE-START
    #@ disk-mib: SIZE              size of each virtio disk, default 256
    #@ mem-mib: N                   guest RAM, default 768
    #@ expect: fail                the case must fail (harness self-tests)
    #@ append: PARAMS              extra kernel command line parameters
    #@ kernels: LABEL...           run only under these --kernel-label values
                                   (a run of every case skips it elsewhere)
    #@ long: REASON                a run of every case skips it (CI's time);
                                   it runs when named (make check-long)
    #@ allow-splat: REGEX           kernel log lines matching REGEX are not
                                   counted as splats (repeatable)
    #@ host-root: ro               the host's / shared read-only over virtio
                                   9p, mount tag "hostroot" (a full Debian
                                   userspace, for the package install test)

Each case gets a fresh work dir WORKDIR/NAME with sparse primary.img,
backup.img, spare.img, meta.img (/dev/vda../dev/vdd) and nvdimm.img (64 MiB,
/dev/pmem0), kept across its phases; the console of phase N is streamed live
to WORKDIR/NAME/phaseN.log.  Passing cases' dirs are removed unless --keep.

One line per case as it finishes, "PASS label/case (12.3s)" or
"FAIL label/case (12.3s): reason" followed by the case's output and the end of
the kernel log.  The last line of output is "N passed, N failed"; the exit
status is 0 iff nothing failed (2 for usage errors).
"""

import argparse
import bz2
import lzma
import mmap
import os
import re
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor, as_completed

QEMU = "qemu-system-x86_64"
DEFAULT_TIMEOUT = 300
DEFAULT_DISK_MIB = 256
DEFAULT_MEM_MIB = 768
NVDIMM_MIB = 64
DISKS = ("primary", "backup", "spare", "meta")   # /dev/vda../dev/vdd
GRACE_AFTER_END = 30     # seconds QEMU may take to power off after FM-CASE-END
# A guest whose console stays silent this long before FM-CASE-START is
# stuck in early boot (seen under TCG on an overloaded host: the kernel
# hangs after "tsc: Unable to calibrate against PIT"). Nothing of the case
# has run yet, so the phase is booted again (up to BOOT_ATTEMPTS boots in
# all: two stalls in a row were seen on a debug guest), and the output
# says so.
BOOT_SILENCE = float(os.environ.get("FM_BOOT_SILENCE", 240))
BOOT_ATTEMPTS = 3
TAIL_LINES = 60

# Kernel splats.  Each pattern is searched (case-sensitive) in kernel log
# lines only: the text after a printk timestamp "[   12.345678] " (console
# and dmesg dump; printk.time=1 is on the kernel command line), plus the
# lines of the kmemleak report between FM-KMEMLEAK-BEGIN/END.  User-space
# output is not scanned: lvm and mdadm print "WARNING: ..." lines of their
# own.  Checked against real boots of the stock and debug configs: none of
# these occurs in a clean boot (kasan/lockdep/kmemleak announce themselves
# with "kasan: KernelAddressSanitizer initialized", "Lock dependency
# validator", "kmemleak: Kernel memory leak detector initialized", which is
# why the bare word "lockdep" is not a pattern).
SPLAT_PATTERNS = [
    r"WARNING:",                      # WARN_ON*(); lockdep's reports, e.g.
                                      # "WARNING: possible circular locking
                                      # dependency detected"
    r"BUG:",                          # BUG: KASAN:, unable to handle page
                                      # fault, sleeping function called from
                                      # invalid context, soft lockup, ...
    r"kernel BUG at",                 # BUG_ON()
    r"\bOops\b",                      # "Oops: 0000 [#1] PREEMPT SMP"
    r"KASAN:",
    r"UBSAN:",
    r"possible circular locking",
    r"possible recursive locking",
    r"inconsistent lock state",
    r"INFO: lockdep is turned off",
    r"turning off the locking correctness validator",
    r"DEBUG_LOCKS_WARN_ON",
    r"INFO: task .* blocked for more than",   # hung task
    r"rcu: INFO: .*detected stall",           # RCU stall
    r"unreferenced object 0x",                # kmemleak report
    r"new suspected memory leaks",            # kmemleak scan result
    r"Kernel panic",
    r"general protection fault[,:]",          # kernel GPF; not user-space
                                              # "traps: x[1] general
                                              # protection fault ip:..."
    r"Call Trace:",
]
SPLAT_RE = re.compile("|".join("(?:%s)" % p for p in SPLAT_PATTERNS))
TIMESTAMP_RE = re.compile(r"\[\s*\d+\.\d+\] ?")


def _kernel_lines(text):
    """Yield (line, kernel_text) for the kernel log lines of a console log."""
    in_kmemleak = False
    for line in text.splitlines():
        line = line.rstrip("\r")
        stripped = line.strip()
        if stripped == "FM-KMEMLEAK-BEGIN":
            in_kmemleak = True
            continue
        if stripped == "FM-KMEMLEAK-END":
            in_kmemleak = False
            continue
        if in_kmemleak:
            yield line, line
            continue
        m = TIMESTAMP_RE.search(line)
        if m:
            yield line[m.start():], line[m.end():]


def pre_case_lines(lines):
    """The lines of a phase's output before FM-CASE-START (all of them if
    the case never started)."""
    for i, line in enumerate(lines):
        if re.search(r"FM-CASE-START \S+ \d+\s*$", line):
            return lines[:i]
    return lines


def scan_splats(text, allow=()):
    """Return the kernel log lines of TEXT that match a splat pattern.

    A line printed both on the console and in the dmesg dump is reported
    once.  Lines matching one of the ALLOW regexes are skipped.
    """
    allow_re = [re.compile(a) for a in allow]
    found, seen = [], set()
    for line, ktext in _kernel_lines(text):
        if not SPLAT_RE.search(ktext):
            continue
        if any(a.search(ktext) for a in allow_re):
            continue
        if line in seen:
            continue
        seen.add(line)
        found.append(line.strip())
    return found


# ---------------------------------------------------------------------------
# Scanner self-test samples (shaped after real 6.1 reports).

_SAMPLE_WARN = r"""
[   42.120331] ------------[ cut here ]------------
[   42.120610] WARNING: CPU: 1 PID: 312 at /build/dm-forkmirror/dm-forkmirror.c:123 fm_map+0x1a/0x40 [dm_forkmirror]
[   42.121200] Modules linked in: dm_forkmirror(OE) dm_mod nd_pmem nd_btt dax_pmem nfit libnvdimm virtio_blk
[   42.121750] CPU: 1 PID: 312 Comm: fio Tainted: G           OE      6.1.0-56-amd64 #1  Debian 6.1.192-1
[   42.122011] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[   42.122400] RIP: 0010:fm_map+0x1a/0x40 [dm_forkmirror]
[   42.125002] Call Trace:
[   42.125100]  <TASK>
[   42.125190]  __map_bio+0x4c/0x210 [dm_mod]
[   42.125300]  dm_submit_bio+0x2d7/0x700 [dm_mod]
[   42.125400]  </TASK>
[   42.125500] ---[ end trace 0000000000000000 ]---
"""

_SAMPLE_KASAN = r"""
[   10.512345] ==================================================================
[   10.512901] BUG: KASAN: slab-out-of-bounds in fm_bitmap_set+0x7f/0x90 [dm_forkmirror]
[   10.513355] Write of size 8 at addr ffff888004a1b2c0 by task kworker/u4:2/87
[   10.514000] CPU: 0 PID: 87 Comm: kworker/u4:2 Tainted: G           O       6.1.192 #1
[   10.514500] Call Trace:
[   10.514600]  <TASK>
[   10.514700]  dump_stack_lvl+0x5b/0x77
[   10.514800]  print_report+0x17f/0x47b
[   10.514900]  kasan_report+0xbb/0xf0
[   10.515100]  </TASK>
[   10.516000] The buggy address belongs to the object at ffff888004a1b200
[   10.516100] ==================================================================
"""

_SAMPLE_LOCKDEP = r"""
[   55.100000] ======================================================
[   55.100100] WARNING: possible circular locking dependency detected
[   55.100200] 6.1.192 #1 Tainted: G           O
[   55.100300] ------------------------------------------------------
[   55.100400] kworker/0:2/55 is trying to acquire lock:
[   55.100500] ffff888005c3a0d8 (&fm->lock){+.+.}-{3:3}, at: fm_worker+0x45/0x300 [dm_forkmirror]
[   55.100600]
[   55.100600] but task is already holding lock:
[   55.100700] ffff888005c3a110 (&tr->map_lock){+.+.}-{3:3}, at: fm_worker+0x2a/0x300 [dm_forkmirror]
[   55.101000]  *** DEADLOCK ***
[   55.101200] stack backtrace:
[   55.101300] Call Trace:
"""

_SAMPLE_KMEMLEAK = r"""
[   70.201000] kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)
FM-KMEMLEAK-BEGIN
unreferenced object 0xffff888003f6c000 (size 4096):
  comm "insmod", pid 120, jiffies 4294893458 (age 12.340s)
  hex dump (first 32 bytes):
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace:
    [<ffffffff8123abcd>] kmalloc_trace+0x26/0x60
    [<ffffffffc0345678>] fm_ctr+0x88/0x300 [dm_forkmirror]
FM-KMEMLEAK-END
"""

_SAMPLE_HUNG = r"""
[  243.012000] INFO: task fio:201 blocked for more than 120 seconds.
[  243.012100]       Tainted: G           OE      6.1.0-56-amd64 #1 Debian 6.1.192-1
[  243.012200] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
[  243.012300] task:fio             state:D stack:0     pid:201   ppid:190    flags:0x00004002
[  243.012400] Call Trace:
[  243.012500]  <TASK>
[  243.012600]  __schedule+0x34d/0x9e0
[  243.012700]  io_schedule+0x42/0x70
"""

# A clean boot (stock and debug kernel lines) with user-space noise that
# must not count: lvm/mdadm warnings, a shell echo, a user-space GPF.
_SAMPLE_CLEAN = r"""
[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-1
[    0.000000] Command line: console=ttyS0 loglevel=5 panic=-1 printk.time=1 fm.case=x fm.phase=1 fm.phases=1
[    0.000000] kasan: KernelAddressSanitizer initialized (generic)
[    0.000000] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar
[    0.000000] ... MAX_LOCKDEP_SUBCLASSES:  8
[    0.000000] ... MAX_LOCKDEP_CHAINS:      65536
[    0.000000]  memory used by lock dependency info: 6365 kB
[    0.000000] kmemleak: Kernel memory leak detector initialized (mem pool available: 15798)
[    0.213000] x86/cpu: User Mode Instruction Prevention (UMIP) activated
[    0.901000] kmemleak: Automatic memory scanning thread started
[    1.020000] Unknown kernel command line parameters "fm.case=x", will be passed to user space.
[    1.300000] Run /init as init process
[    2.100000] nd_pmem namespace0.0: unable to guarantee persistence of writes
[    2.200000] pmem0: detected capacity change from 0 to 132120576
[    3.000000] dm_forkmirror: loading out-of-tree module taints kernel.
[    3.000100] dm_forkmirror: module verification failed: signature and/or required key missing - tainting kernel
[    3.500000] traps: fio[312] general protection fault ip:7f3e2a1b2c3d sp:7ffd12345678 error:0 in libc.so.6[7f3e2a000000+155000]
[    4.000000] EXT4-fs (dm-0): mounted filesystem with ordered data mode. Quota mode: none.
FM-CASE-START sample 1
  WARNING: Device /dev/vda has size of 524288 sectors which is smaller than corresponding PV size.
  WARNING: PV /dev/vdb is marked in use but no VG was found using it.
mdadm: Note: this array has metadata at the start and
BUG: this is a shell echo, not the kernel
Oops, user-space typo
Call Trace: printed by a test script
FM-DMESG-BEGIN
[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org)
FM-DMESG-END
FM-CASE-END rc=0
"""

_SELF_TESTS = [
    # (name, text, substrings each matched line set must contain)
    ("warn", _SAMPLE_WARN, ["WARNING: CPU: 1 PID: 312", "Call Trace:"]),
    ("kasan", _SAMPLE_KASAN, ["BUG: KASAN: slab-out-of-bounds"]),
    ("lockdep", _SAMPLE_LOCKDEP,
     ["WARNING: possible circular locking dependency detected"]),
    ("kmemleak", _SAMPLE_KMEMLEAK,
     ["unreferenced object 0xffff888003f6c000", "new suspected memory leaks"]),
    ("hung-task", _SAMPLE_HUNG, ["INFO: task fio:201 blocked for more than"]),
    ("clean", _SAMPLE_CLEAN, []),
]


def self_test_scanner():
    bad = 0
    for name, text, expect in _SELF_TESTS:
        found = scan_splats(text)
        ok = bool(found) == bool(expect) and all(
            any(e in f for f in found) for e in expect)
        print("%s scanner/%s: %d splat line(s)" % ("ok  " if ok else "BAD ",
                                                   name, len(found)))
        if not ok:
            bad += 1
            for f in found:
                print("    matched: " + f)
            for e in expect:
                print("    expected: " + e)
    # A splat in the dump that is also on the console counts once.
    dup = _SAMPLE_HUNG + "FM-DMESG-BEGIN\n" + _SAMPLE_HUNG + "FM-DMESG-END\n"
    if len(scan_splats(dup)) != len(scan_splats(_SAMPLE_HUNG)):
        print("BAD  scanner/dedup")
        bad += 1
    else:
        print("ok   scanner/dedup")
    # A boot splat (before FM-CASE-START) is told from a case's.
    boot = (_SAMPLE_WARN + "FM-CASE-START x 1\n").splitlines()
    case = ("FM-CASE-START x 1\n" + _SAMPLE_WARN).splitlines()
    if (not scan_splats("\n".join(pre_case_lines(boot)))
            or scan_splats("\n".join(pre_case_lines(case)))
            or not scan_splats("\n".join(pre_case_lines(
                _SAMPLE_WARN.splitlines())))):
        print("BAD  scanner/boot-splat")
        bad += 1
    else:
        print("ok   scanner/boot-splat")
    if scan_splats(_SAMPLE_WARN, allow=[r"WARNING: CPU", r"Call Trace"]):
        print("BAD  scanner/allow-splat")
        bad += 1
    else:
        print("ok   scanner/allow-splat")
    bad += self_test_ktap()
    print("%d passed, %d failed" % (len(_SELF_TESTS) + 3 - bad, bad))
    return 1 if bad else 0


# ---------------------------------------------------------------------------
# KTAP: KUnit results a case prints between FM-KTAP-BEGIN and FM-KTAP-END
# (the debugfs kunit/<suite>/results files). Every leaf test, parameterised
# ones included, counts as a case of its own.

_KTAP_RESULT = re.compile(r"^(\s*)(ok|not ok) \d+(?: -)? ?(.*?)\s*(#\s*SKIP.*)?$")
_KTAP_SUBTEST = re.compile(r"^(\s*)# Subtest: (.*?)\s*$")


def parse_ktap(lines):
    """Return [(path, status)] for each leaf result; status is ok, fail or skip.

    Results nest by indentation: a result line is the parent of the results
    just before it that are indented deeper (KUnit prints a suite's cases,
    and a parameterised case's parameters, before the line that closes
    them; "# Subtest:" headers are not needed). A result with no child is a
    leaf, named by the path of its parents.
    """
    inside = False
    stack = []          # (indent, name, status, children), unclaimed results
    for raw in lines:
        line = raw.rstrip("\r\n")
        if line.strip() == "FM-KTAP-BEGIN":
            inside, stack = True, []
            continue
        if line.strip() == "FM-KTAP-END":
            inside = False
            continue
        if not inside:
            continue
        m = _KTAP_RESULT.match(line)
        if not m:
            continue
        ind = len(m.group(1))
        status = "skip" if m.group(4) else ("ok" if m.group(2) == "ok" else "fail")
        children = []
        while stack and stack[-1][0] > ind:
            children.insert(0, stack.pop())
        stack.append((ind, m.group(3), status, children))

    leaves = []

    def walk(node, prefix):
        _, name, status, children = node
        path = prefix + [name]
        if not children:
            leaves.append(("/".join(path), status))
        for c in children:
            walk(c, path)

    for node in stack:
        walk(node, [])
    return leaves


_SAMPLE_KTAP = """FM-KTAP-BEGIN
    KTAP version 1
    # Subtest: fm_args
    1..3
        KTAP version 1
        # Subtest: fm_args_good_line
        ok 1 a b c vol 8
forkmirror-tracker: an unrelated kernel line
        not ok 2 a b c vol 16
    # fm_args_good_line: pass:1 fail:1 skip:0 total:2
    not ok 1 fm_args_good_line
    ok 2 fm_args_parse_u32
    ok 3 fm_args_skipped # SKIP no pmem
# fm_args: pass:1 fail:1 skip:1 total:3
not ok 1 fm_args
FM-KTAP-END
"""


def self_test_ktap():
    got = parse_ktap(_SAMPLE_KTAP.splitlines())
    want = [("fm_args/fm_args_good_line/a b c vol 8", "ok"),
            ("fm_args/fm_args_good_line/a b c vol 16", "fail"),
            ("fm_args/fm_args_parse_u32", "ok"),
            ("fm_args/fm_args_skipped", "skip")]
    if got != want:
        print("BAD  ktap/parse: got %r" % (got,))
        return 1
    print("ok   ktap/parse")
    return 0


# ---------------------------------------------------------------------------
# Cases.

class CaseError(Exception):
    pass


class Case:
    def __init__(self, name, path):
        self.name = name
        self.path = path
        self.timeout = DEFAULT_TIMEOUT
        self.phases = 1
        self.kills = {}         # phase -> ("marker", text) | ("after", seconds)
        self.disk_mib = DEFAULT_DISK_MIB
        self.mem_mib = DEFAULT_MEM_MIB
        self.expect_fail = False
        self.allow = []
        self.append = ""
        self.kernels = None      # None: every kernel label
        self.long = None         # why a run of every case skips it
        self.host_root = False
        self._parse()

    def _err(self, lineno, msg):
        raise CaseError("%s:%d: %s" % (self.path, lineno, msg))

    def _parse(self):
        with open(self.path, errors="replace") as f:
            lines = f.read().splitlines()
        for i, line in enumerate(lines, 1):
            if not line.startswith("#@"):
                continue
            m = re.match(r"#@\s*([a-z-]+)\s*:\s*(.*?)\s*$", line)
            if not m:
                self._err(i, "malformed directive: " + line)
            key, val = m.groups()
            try:
                if key == "timeout":
                    self.timeout = float(val)
                elif key == "phases":
                    self.phases = int(val)
                elif key in ("kill-on-marker", "kill-after"):
                    phase, arg = val.split(None, 1)
                    phase = int(phase)
                    if phase in self.kills:
                        self._err(i, "two kill directives for phase %d" % phase)
                    if key == "kill-after":
                        self.kills[phase] = ("after", float(arg))
                    else:
                        self.kills[phase] = ("marker", arg.strip())
                elif key == "disk-mib":
                    self.disk_mib = int(val)
                elif key == "mem-mib":
                    self.mem_mib = int(val)
                elif key == "expect":
                    if val != "fail":
                        self._err(i, "expect: only 'fail' is known")
                    self.expect_fail = True
                elif key == "kernels":
                    self.kernels = val.split()
                elif key == "long":
                    if not val:
                        self._err(i, "long: give the reason")
                    self.long = val
                elif key == "append":
                    self.append = (self.append + " " + val).strip()
                elif key == "host-root":
                    if val != "ro":
                        self._err(i, "host-root: only 'ro' is known")
                    self.host_root = True
                elif key == "allow-splat":
                    re.compile(val)
                    self.allow.append(val)
                else:
                    self._err(i, "unknown directive '%s'" % key)
            except (ValueError, re.error) as e:
                self._err(i, "bad value in '%s': %s" % (line, e))
        if self.phases < 1:
            raise CaseError("%s: phases must be >= 1" % self.path)
        for p in self.kills:
            if not 1 <= p <= self.phases:
                raise CaseError("%s: kill directive for phase %d, but the case "
                                "has %d phase(s)" % (self.path, p, self.phases))


def list_cases(cases_dir):
    return sorted(f[:-3] for f in os.listdir(cases_dir)
                  if f.endswith(".sh") and not f.startswith("."))


# ---------------------------------------------------------------------------
# Running.

class PhaseResult:
    def __init__(self, phase):
        self.phase = phase
        self.reasons = []
        self.splats = []
        self.lines = []
        self.log = None
        self.boot_s = None      # QEMU start -> FM-CASE-START
        self.boot_stalled = False  # killed: silent in early boot
        self.boot_splat = None     # first splat line printed before
                                   # FM-CASE-START (kernel boot's own)
        self.wall_s = 0.0
        self.rc = None
        self.killed = False


class Runner:
    def __init__(self, args, initrd, workdir):
        self.args = args
        self.initrd = initrd
        self.workdir = workdir
        self.print_lock = threading.Lock()
        self.procs = set()
        self.procs_lock = threading.Lock()
        self.stopping = False
        self.ktap_passed = 0     # KUnit leaf results, counted as cases
        self.ktap_failed = 0

    def say(self, text):
        with self.print_lock:
            print(text, flush=True)

    def qemu_cmd(self, case, casedir, phase):
        append = ("console=ttyS0 loglevel=5 panic=-1 printk.time=1 "
                  "log_buf_len=4M fm.case=%s fm.phase=%d fm.phases=%d fm.kernel=%s"
                  % (case.name, phase, case.phases, self.args.kernel_label))
        if case.append:
            append += " " + case.append
        if self.args.append:
            append += " " + self.args.append
        cmd = [QEMU, "-machine", "q35,nvdimm=on", "-accel", "tcg",
               "-cpu", "max", "-smp", "2",
               "-m", "%dM,slots=2,maxmem=4G" % case.mem_mib,
               "-object", "memory-backend-file,id=m1,share=on,mem-path=%s,"
               "size=%dM" % (os.path.join(casedir, "nvdimm.img"), NVDIMM_MIB),
               "-device", "nvdimm,memdev=m1,id=nv1"]
        for d in DISKS:
            cmd += ["-drive", "file=%s,format=raw,if=virtio,cache=none"
                    % os.path.join(casedir, d + ".img")]
        if case.host_root:
            cmd += ["-virtfs", "local,path=/,mount_tag=hostroot,"
                    "security_model=none,readonly=on,multidevs=remap"]
        cmd += ["-kernel", self.args.boot_kernel, "-initrd", self.initrd,
                "-append", append,
                "-nodefaults", "-display", "none", "-monitor", "none",
                "-serial", "stdio", "-no-reboot"]
        return cmd

    def run_phase(self, case, casedir, phase):
        res = PhaseResult(phase)
        res.log = os.path.join(casedir, "phase%d.log" % phase)
        kill = case.kills.get(phase)
        timeout = case.timeout * self.args.timeout_scale
        cmd = self.qemu_cmd(case, casedir, phase)
        label = "%s/%s[%d]" % (self.args.kernel_label, case.name, phase)
        t0 = time.monotonic()
        start_at = end_at = None
        last_out = t0
        timed_out = False
        with open(res.log, "w", errors="replace") as log:
            log.write("### runner: %s\n" % " ".join(cmd))
            proc = subprocess.Popen(cmd, cwd=casedir, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT,
                                    start_new_session=True)
            with self.procs_lock:
                self.procs.add(proc)
            fd = proc.stdout.fileno()
            sel = selectors.DefaultSelector()
            sel.register(fd, selectors.EVENT_READ)
            buf = b""

            kill_sent = False

            def do_kill(why):
                nonlocal kill_sent
                if kill_sent:
                    return
                kill_sent = True
                if proc.poll() is None:
                    kill_group(proc)
                log.write("\n### runner: %s\n" % why)

            def handle(raw):
                nonlocal start_at, end_at, last_out
                line = raw.decode("utf-8", "replace").rstrip("\r")
                now = time.monotonic()
                last_out = now
                res.lines.append(line)
                log.write(line + "\n")
                if self.args.console:
                    self.say("%s: %s" % (label, line))
                if start_at is None and re.search(r"FM-CASE-START \S+ \d+\s*$", line):
                    start_at = now
                    res.boot_s = now - t0
                m = re.search(r"FM-CASE-END rc=(\d+)\s*$", line)
                if m and res.rc is None:
                    res.rc = int(m.group(1))
                    end_at = now
                if (kill and kill[0] == "marker" and not res.killed
                        and res.rc is None and line.strip() == kill[1]):
                    res.killed = True
                    do_kill("killed QEMU (SIGKILL) at marker %r, %.1f s after "
                            "FM-CASE-START" % (kill[1], now - (start_at or t0)))

            while True:
                now = time.monotonic()
                if self.stopping:
                    do_kill("interrupted")
                if not kill_sent and proc.poll() is None:
                    if (kill and kill[0] == "after" and start_at is not None
                            and res.rc is None and now >= start_at + kill[1]):
                        res.killed = True
                        do_kill("killed QEMU (SIGKILL) %.1f s after FM-CASE-START"
                                % kill[1])
                    elif now >= t0 + timeout:
                        timed_out = True
                        do_kill("timed out after %d s, killed QEMU" % timeout)
                    elif start_at is None and now >= last_out + BOOT_SILENCE:
                        res.boot_stalled = True
                        do_kill("no console output for %g s during boot, killed "
                                "QEMU" % BOOT_SILENCE)
                    elif end_at is not None and now >= end_at + GRACE_AFTER_END:
                        do_kill("QEMU still running %d s after FM-CASE-END, killed"
                                % GRACE_AFTER_END)
                # wake up at the next deadline at the latest
                wait = min(1.0, t0 + timeout - now)
                if kill and kill[0] == "after" and start_at is not None:
                    wait = min(wait, start_at + kill[1] - now)
                wait = max(0.05, wait)
                events = sel.select(timeout=wait)
                if not events:
                    continue
                data = os.read(fd, 65536)
                if not data:
                    break
                buf += data
                while True:
                    nl = buf.find(b"\n")
                    if nl < 0:
                        break
                    handle(buf[:nl])
                    buf = buf[nl + 1:]
                if len(buf) > 65536:            # an endless line
                    handle(buf)
                    buf = b""
                log.flush()
            if buf:
                handle(buf)
            sel.close()
            status = proc.wait()
            proc.stdout.close()
            with self.procs_lock:
                self.procs.discard(proc)
            res.wall_s = time.monotonic() - t0
            log.write("### runner: QEMU exit status %s, %.1f s, boot %s\n" % (
                status, res.wall_s,
                "%.1f s" % res.boot_s if res.boot_s is not None else "n/a"))

        p = "phase %d" % phase
        if self.stopping:
            res.reasons.append("interrupted")
        elif res.boot_stalled:
            res.reasons.append("%s: stalled in early boot (no console output "
                               "for %g s)" % (p, BOOT_SILENCE))
        elif kill:
            what = ("its kill marker %r" % kill[1] if kill[0] == "marker"
                    else "its kill time (%g s after FM-CASE-START)" % kill[1])
            if res.killed:
                pass
            elif res.rc is not None:
                res.reasons.append("%s ended by itself (rc=%d) before %s"
                                   % (p, res.rc, what))
            elif timed_out:
                res.reasons.append("%s timed out after %d s waiting for %s"
                                   % (p, timeout, what))
            else:
                res.reasons.append("%s: QEMU exited (status %s) before %s"
                                   % (p, status, what))
        else:
            if timed_out:
                res.reasons.append("%s timed out after %d s" % (p, timeout))
            elif res.rc is None:
                res.reasons.append("%s: QEMU exited (status %s) without "
                                   "FM-CASE-END" % (p, status))
            elif res.rc != 0:
                res.reasons.append("%s: case script exited with rc=%d"
                                   % (p, res.rc))
        res.splats = scan_splats("\n".join(res.lines), case.allow)
        # A splat before FM-CASE-START is the kernel's own boot (seen: an
        # int3 trap in enqueue_timer under TCG, 16 s into a debug boot):
        # no module of ours is loaded before the case script runs
        # (guest-init.sh loads only in-tree drivers), so the phase is
        # booted again, as after a stall.
        pre = scan_splats("\n".join(pre_case_lines(res.lines)), case.allow)
        if pre and not self.stopping:
            res.boot_splat = pre[0]
        if res.splats:
            res.reasons.append("%s: kernel splat (%d line(s)): %s"
                               % (p, len(res.splats), res.splats[0]))
        return res

    def run_case(self, case):
        casedir = os.path.join(self.workdir, case.name)
        shutil.rmtree(casedir, ignore_errors=True)
        os.makedirs(casedir)
        for d in DISKS:
            with open(os.path.join(casedir, d + ".img"), "wb") as f:
                f.truncate(case.disk_mib << 20)
        with open(os.path.join(casedir, "nvdimm.img"), "wb") as f:
            f.truncate(NVDIMM_MIB << 20)
        t0 = time.monotonic()
        results = []
        for phase in range(1, case.phases + 1):
            if self.stopping:
                break
            r = self.run_phase(case, casedir, phase)
            for attempt in range(1, BOOT_ATTEMPTS):
                if not (r.boot_stalled or r.boot_splat) or self.stopping:
                    break
                why = ("stalled in early boot" if r.boot_stalled else
                       "kernel splat before the case started: %s"
                       % r.boot_splat)
                self.say("NOTE %s/%s phase %d: %s (see %s); booting it once "
                         "more" % (self.args.kernel_label, case.name, phase,
                                   why, r.log))
                os.rename(r.log, "%s.%s%d" % (
                    r.log, "stalled" if r.boot_stalled else "bootsplat",
                    attempt))
                r = self.run_phase(case, casedir, phase)
            results.append(r)
            if self.args.verbose:
                self.say("  %s/%s phase %d: boot %s, phase %.1f s%s" % (
                    self.args.kernel_label, case.name, phase,
                    "%.1f s" % r.boot_s if r.boot_s is not None else "n/a",
                    r.wall_s, ", killed" if r.killed else ""))
            if r.reasons:
                break
        return casedir, time.monotonic() - t0, results

    def report(self, case, casedir, elapsed, results):
        """Print the case's result; return True if it counts as passed."""
        name = "%s/%s" % (self.args.kernel_label, case.name)
        reasons = [x for r in results for x in r.reasons]
        if self.stopping and not reasons:
            reasons = ["interrupted"]
        failed = bool(reasons)
        out = []
        if case.expect_fail and failed and not self.stopping:
            out.append("PASS %s (%.1fs)" % (name, elapsed))
            out.append("    expected failure: %s" % "; ".join(reasons))
            ok = True
        elif case.expect_fail and not failed:
            out.append("FAIL %s (%.1fs): expected to fail, but passed"
                       % (name, elapsed))
            ok = False
        elif not failed:
            out.append("PASS %s (%.1fs)" % (name, elapsed))
            ok = True
        else:
            out.append("FAIL %s (%.1fs): %s" % (name, elapsed, "; ".join(reasons)))
            ok = False
        leaves = [leaf for r in results for leaf in parse_ktap(r.lines)]
        ktap_bad = [p for p, st in leaves if st == "fail"]
        if any("FM-KTAP-BEGIN" in l for r in results for l in r.lines) and not leaves:
            out[0] = "FAIL %s (%.1fs): no KUnit result in its KTAP output" % (name, elapsed)
            ok = False
        for path, st in leaves:
            out.append("%s %s/kunit/%s" % ({"ok": "PASS", "fail": "FAIL",
                                            "skip": "SKIP"}[st],
                                           self.args.kernel_label, path))
        with self.print_lock:
            self.ktap_passed += sum(1 for _, st in leaves if st == "ok")
            self.ktap_failed += len(ktap_bad)
        if ktap_bad and ok:
            ok = False
            out[0] = "FAIL %s (%.1fs): %d KUnit case(s) failed" % (
                name, elapsed, len(ktap_bad))
        if not ok or (case.expect_fail and self.args.verbose):
            out += self.failure_details(results, casedir)
        elif self.args.show_output:
            for r in results:
                out.append("---- case output (phase %d) ----" % r.phase)
                out += self.case_output(r.lines)
        self.say("\n".join(out))
        return ok

    @staticmethod
    def case_output(lines):
        """The lines the case script printed (FM-CASE-START to the dumps)."""
        start = next((i for i, l in enumerate(lines)
                      if re.search(r"FM-CASE-START \S+ \d+\s*$", l)), None)
        if start is None:
            return ["(the case did not start)"]
        out = []
        for l in lines[start + 1:]:
            if l.strip() in ("FM-DMESG-BEGIN", "FM-KMEMLEAK-BEGIN"):
                break
            out.append(l)
        return out

    @staticmethod
    def failure_details(results, casedir):
        out = []
        if not results:
            return out
        r = next((r for r in results if r.reasons), results[-1])
        lines = r.lines
        start = next((i for i, l in enumerate(lines)
                      if re.search(r"FM-CASE-START \S+ \d+\s*$", l)), None)
        dbeg = next((i for i, l in enumerate(lines)
                     if l.strip() == "FM-DMESG-BEGIN"), None)
        dend = next((i for i, l in enumerate(lines)
                     if l.strip() == "FM-DMESG-END"), None)
        out.append("---- case output (phase %d) ----" % r.phase)
        out += Runner.case_output(lines)
        if r.splats:
            out.append("---- kernel splats (phase %d) ----" % r.phase)
            out += r.splats[:40]
            if len(r.splats) > 40:
                out.append("... %d more" % (len(r.splats) - 40))
        if dbeg is not None:
            kern = lines[dbeg + 1:dend if dend is not None else len(lines)]
            what = "dmesg"
        else:
            kern = lines
            what = "console"
        out.append("---- kernel log, last %d lines (%s, phase %d) ----"
                   % (TAIL_LINES, what, r.phase))
        out += kern[-TAIL_LINES:]
        out.append("---- logs: %s ----" % casedir)
        return out

    def kill_all(self):
        self.stopping = True
        with self.procs_lock:
            for p in list(self.procs):
                if p.poll() is None:
                    kill_group(p)


def kill_group(proc):
    """SIGKILL QEMU and anything in its session (it runs in a session of
    its own), so no child keeps the console pipe open."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()


def _has_pvh_note(elf):
    """True if the ELF64 image carries Xen's PHYS32_ENTRY (PVH) note."""
    if elf[:5] != b"\x7fELF\x02":
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        ptype, = struct.unpack_from("<I", elf, phoff + i * phentsize)
        if ptype != 4:                                  # PT_NOTE
            continue
        off, = struct.unpack_from("<Q", elf, phoff + i * phentsize + 8)
        size, = struct.unpack_from("<Q", elf, phoff + i * phentsize + 32)
        pos, end = off, off + size
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == 18:          # XEN_ELFNOTE_PHYS32_ENTRY
                return True
            pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def pvh_kernel(kernel, dest):
    """Path of an uncompressed vmlinux for KERNEL that QEMU can boot through
    PVH, writing it to DEST if KERNEL is a bzImage; None if not possible.

    Under TCG a bzImage spends about 5 s decompressing itself (Debian's is
    xz); the PVH entry of the ELF vmlinux skips that.
    """
    with open(kernel, "rb") as f:
        img = f.read()
    if img[:4] == b"\x7fELF":
        return kernel if _has_pvh_note(img) else None
    if len(img) < 0x250 or img[0x202:0x206] != b"HdrS":
        return None
    if struct.unpack_from("<H", img, 0x206)[0] < 0x208:
        return None
    setup_sects = img[0x1f1] or 4
    off, length = struct.unpack_from("<II", img, 0x248)
    start = (setup_sects + 1) * 512 + off
    payload = img[start:start + length]
    try:
        if payload.startswith(b"\xfd7zXZ\x00"):
            elf = lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(payload)
        elif payload.startswith(b"\x1f\x8b"):
            elf = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(payload)
        elif payload.startswith(b"BZh"):
            elf = bz2.BZ2Decompressor().decompress(payload)
        elif payload.startswith(b"\x5d\x00\x00"):
            elf = lzma.LZMADecompressor(lzma.FORMAT_ALONE).decompress(payload)
        else:                                   # zstd, lz4, lzo: not in stdlib
            return None
    except (lzma.LZMAError, zlib.error, OSError, EOFError):
        return None
    if not _has_pvh_note(elf):
        return None
    with open(dest, "wb") as f:
        f.write(elf)
    return dest


def direct_io_ok(directory):
    """True if O_DIRECT (QEMU's cache=none) works on DIRECTORY's fs."""
    path = os.path.join(directory, ".odirect-probe.%d" % os.getpid())
    buf = mmap.mmap(-1, 4096)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600)
        try:
            os.write(fd, buf)
        finally:
            os.close(fd)
        return True
    except OSError:
        return False
    finally:
        buf.close()
        try:
            os.unlink(path)
        except OSError:
            pass


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(
        description="Run dm-forkmirror guest test cases under QEMU.")
    ap.add_argument("--kernel", help="bzImage to boot")
    ap.add_argument("--initrd", help="base.cpio from mkinitramfs.sh base")
    ap.add_argument("--overlay", help="overlay cpio from mkinitramfs.sh overlay")
    ap.add_argument("--cases-dir",
                    default=os.path.normpath(os.path.join(here, "..", "cases")))
    ap.add_argument("--jobs", type=int, default=2,
                    help="guests run at once (default 2)")
    ap.add_argument("--kernel-label", default="stock")
    ap.add_argument("--workdir", help="directory for the per-case work dirs "
                    "(default: a new one under /var/tmp)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the work dirs of passing cases too")
    ap.add_argument("--timeout-scale", type=float, default=1.0,
                    help="multiply every case timeout (slow debug kernels)")
    ap.add_argument("--boot", choices=("pvh", "bzimage"), default="pvh",
                    help="pvh (default): boot the uncompressed vmlinux inside "
                    "the bzImage through its PVH entry, falling back to the "
                    "bzImage if it has none; bzimage: boot --kernel as given")
    ap.add_argument("--append", default="",
                    help="extra kernel command line parameters")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print boot and run time of each phase")
    ap.add_argument("--console", action="store_true",
                    help="also echo every console line, prefixed")
    ap.add_argument("--show-output", action="store_true",
                    help="print the case scripts' output of passing cases too")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument("--list-long", action="store_true",
                    help="list the cases marked '#@ long:'")
    ap.add_argument("--self-test-scanner", action="store_true",
                    help="check the splat scanner against built-in samples")
    ap.add_argument("cases", nargs="*", metavar="CASE")
    args = ap.parse_args(argv)

    if args.self_test_scanner:
        return self_test_scanner()
    if not os.path.isdir(args.cases_dir):
        ap.error("cases dir %s not found" % args.cases_dir)
    available = list_cases(args.cases_dir)
    if args.list:
        for c in available:
            print(c)
        return 0
    if args.list_long:
        try:
            for n in available:
                if Case(n, os.path.join(args.cases_dir, n + ".sh")).long:
                    print(n)
        except CaseError as e:
            ap.error(str(e))
        return 0
    for opt in ("kernel", "initrd", "overlay"):
        v = getattr(args, opt)
        if not v:
            ap.error("--%s is required" % opt)
        if not os.path.isfile(v):
            ap.error("--%s %s: no such file" % (opt, v))
        setattr(args, opt, os.path.abspath(v))
    if args.jobs < 1:
        ap.error("--jobs must be >= 1")
    if shutil.which(QEMU) is None:
        ap.error("%s not found" % QEMU)
    names = args.cases or available
    unknown = [n for n in names if n not in available]
    if unknown:
        ap.error("unknown case(s): %s (see --list)" % " ".join(unknown))
    try:
        cases = [Case(n, os.path.join(args.cases_dir, n + ".sh")) for n in names]
    except CaseError as e:
        ap.error(str(e))
    for c in [c for c in cases if c.kernels and args.kernel_label not in c.kernels]:
        print("SKIP %s/%s (runs only on: %s)" % (args.kernel_label, c.name,
                                                " ".join(c.kernels)))
        cases.remove(c)
    if not args.cases:
        for c in [c for c in cases if c.long]:
            print("SKIP %s/%s (long: %s; make check-long runs it)"
                  % (args.kernel_label, c.name, c.long))
            cases.remove(c)
    # Longest first (a case's timeout, per phase, stands for its length),
    # so the long ones do not start last and leave a job slot idle at the
    # end; ties keep the order given.
    cases.sort(key=lambda c: -c.timeout * c.phases)

    own_workdir = args.workdir is None
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        workdir = os.path.abspath(args.workdir)
        if not direct_io_ok(workdir):
            print("runner: O_DIRECT (cache=none) fails in %s; using /var/tmp"
                  % workdir, file=sys.stderr)
            own_workdir = True
    if own_workdir:
        workdir = tempfile.mkdtemp(prefix="fm-runner-", dir="/var/tmp")
        if not direct_io_ok(workdir):
            shutil.rmtree(workdir, ignore_errors=True)
            print("runner: O_DIRECT (cache=none) fails in /var/tmp too",
                  file=sys.stderr)
            return 2

    # base + overlay, once per invocation (newc archives concatenate; the
    # kernel skips the zero padding between them if the next one starts
    # 4-byte aligned).
    initrd = os.path.join(workdir, "initrd-%d.cpio" % os.getpid())
    with open(initrd, "wb") as out:
        for part in (args.initrd, args.overlay):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
            pad = -out.tell() % 4
            out.write(b"\0" * pad)

    vmlinux = os.path.join(workdir, "vmlinux-%d" % os.getpid())
    args.boot_kernel = args.kernel
    if args.boot == "pvh":
        k = pvh_kernel(args.kernel, vmlinux)
        if k:
            args.boot_kernel = k
        else:
            print("runner: %s has no PVH entry I can extract; booting it as "
                  "a bzImage" % args.kernel, file=sys.stderr)

    runner = Runner(args, initrd, workdir)
    passed = failed = 0
    failed_dirs = []
    reported = set()

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    # SIGTERM/SIGHUP too: the guests run in their own sessions and would
    # outlive the runner otherwise.
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futs = {pool.submit(runner.run_case, c): c for c in cases}
            try:
                for fut in as_completed(futs):
                    case = futs[fut]
                    reported.add(case.name)
                    try:
                        casedir, elapsed, results = fut.result()
                        ok = runner.report(case, casedir, elapsed, results)
                    except Exception as e:  # harness bug: report, go on
                        casedir = os.path.join(workdir, case.name)
                        runner.say("FAIL %s/%s (0.0s): harness error: %r"
                                   % (args.kernel_label, case.name, e))
                        ok = False
                    if ok:
                        passed += 1
                        if not args.keep:
                            shutil.rmtree(casedir, ignore_errors=True)
                    else:
                        failed += 1
                        failed_dirs.append(casedir)
            except KeyboardInterrupt:
                runner.kill_all()
                for f in futs:
                    f.cancel()
                raise
    except KeyboardInterrupt:
        print("runner: interrupted", file=sys.stderr)
        for case in cases:
            if case.name not in reported:
                runner.say("FAIL %s/%s (0.0s): interrupted"
                           % (args.kernel_label, case.name))
                failed += 1
        failed_dirs.append(workdir)
    finally:
        runner.kill_all()
        for f in (initrd, vmlinux):
            try:
                os.unlink(f)
            except OSError:
                pass
    if failed_dirs or args.keep:
        print("work dir kept: %s" % workdir)
    elif own_workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    print("%d passed, %d failed" % (passed + runner.ktap_passed,
                                    failed + runner.ktap_failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
