#!/usr/bin/env bash
# Clang's thread-safety analysis over Remora's libraries: each of their
# compile commands in BUILD/compile_commands.json (the build's own
# flags, unity units or single files alike) runs again through clang++-14
# with -fsyntax-only -Wthread-safety, its findings errors. What the analysis
# follows is transport/mutex.hpp's: REMORA_GUARDED_BY, REMORA_REQUIRES and
# the locks there. Exit 77 (a skip) without clang++-14 or a compile_commands.json.
# Usage: thread_safety_test.sh SOURCE_DIR BUILD_DIR
set -u
source_dir=$1 build_dir=$2
clang=$(command -v clang++-14) || { echo "skip: no clang++-14 (Debian: clang-14)"; exit 77; }
commands=$build_dir/compile_commands.json
[ -f "$commands" ] || { echo "skip: no $commands"; exit 77; }
timeout 600 /usr/bin/python3 - "$clang" "$source_dir" "$build_dir" "$commands" <<'EOF'
import json, shlex, subprocess, sys, os
clang, source_dir, build_dir, commands = sys.argv[1:5]
# The libraries' targets (the locks live there; the programs hold none).
libraries = ["remora_transport", "remora_storage", "remora_objects", "remora_actors", "remora",
             "remora_cli"]
flags = ["-fsyntax-only", "-Wno-everything", "-Wthread-safety", "-Werror=thread-safety"]
# First, that the analysis is on: a member read without its lock must fail.
probe = """#include "transport/mutex.hpp"
struct probe {
  remora::transport::mutex mutex;
  int value REMORA_GUARDED_BY(mutex) = 0;
  int read() { return value; }
};
"""
run = subprocess.run([clang, "-std=c++20", "-I", source_dir, "-x", "c++", "-", *flags], input=probe,
                     capture_output=True, text=True)
if run.returncode == 0 or "requires holding mutex" not in run.stderr:
    print(f"FAIL: clang passed a read of a guarded member without its lock:\n{run.stderr}")
    sys.exit(1)
print("ok: an unguarded read is refused")
checked = failed = 0
for entry in json.load(open(commands)):
    args = shlex.split(entry["command"])
    output = args[args.index("-o") + 1].split("/") if "-o" in args else []
    if len(output) < 2 or output[1] not in [l + ".dir" for l in libraries]:
        continue
    args = args[next(i for i, a in enumerate(args) if a.startswith("-")):]  # past the compiler
    kept, skip = [clang], False
    for a in args:
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        elif a == "-c" or (a.startswith("-W") and not a.startswith("-Wl")):
            continue
        else:
            kept.append(a)
    kept += flags
    run = subprocess.run(kept, cwd=entry["directory"], capture_output=True, text=True)
    checked += 1
    name = os.path.relpath(entry["file"], build_dir if entry["file"].startswith(build_dir) else source_dir)
    if run.returncode != 0:
        failed += 1
        print(f"FAIL: {name}\n{run.stderr}")
    else:
        print(f"ok: {name}")
print(f"thread safety: {checked} units checked, {failed} failed")
sys.exit(1 if failed or checked == 0 else 0)
EOF
