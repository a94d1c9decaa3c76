#!/usr/bin/env bash
# Lay out WordNet 3.0 as an NLTK data directory, offline-friendly: DEST/corpora/wordnet/.
#
#   bash scripts/fetch_wordnet.sh DEST        # then: export NLTK_DATA=DEST
#
# METEOR (NLTK) needs WordNet, and no PyPI package ships it. Debian does: this downloads the `wordnet-base` and
# `wordnet-sense-index` packages with `apt-get download` (no install, no root needed once the package lists exist),
# unpacks them with `dpkg-deb -x`, copies usr/share/wordnet/* into DEST/corpora/wordnet/ and generates the `lexnames`
# file NLTK opens but Debian does not ship, from the table of the lexnames(5WN) man page in wordnet-base.
# DEST defaults to the suite's data dir, where the METEOR metric also looks:
#   ${UNIPOSE_BENCH_HOME:-~/.cache/unipose-bench}/nltk_data
# Idempotent: a complete DEST/corpora/wordnet is left alone. Nothing half-written is left behind: the files are
# assembled in a temporary folder next to the target and moved into place in one step.
set -euo pipefail

DEST="${1:-${UNIPOSE_BENCH_HOME:-$HOME/.cache/unipose-bench}/nltk_data}"
TARGET="$DEST/corpora/wordnet"
REQUIRED=(data.noun data.verb data.adj data.adv index.noun index.verb index.adj index.adv index.sense
          noun.exc verb.exc adj.exc adv.exc lexnames)

complete() {
    local f
    for f in "${REQUIRED[@]}"; do [ -s "$1/$f" ] || return 1; done
}

if complete "$TARGET"; then
    echo "WordNet already in $TARGET"
    exit 0
fi
for tool in apt-get dpkg-deb gzip; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed (Debian/Ubuntu tools)" >&2; exit 1; }
done

mkdir -p "$DEST/corpora"
WORK="$(mktemp -d)"
STAGE="$(mktemp -d "$DEST/corpora/.wordnet-partial.XXXXXX")"
trap 'rm -rf "$WORK" "$STAGE"' EXIT

# apt-get download writes into the current directory; as root, apt's sandbox user must be able to write there.
chmod 0777 "$WORK"
if ! (cd "$WORK" && apt-get download wordnet-base wordnet-sense-index); then
    echo "error: could not download wordnet-base / wordnet-sense-index. If apt reports that it cannot locate the" \
         "packages, refresh the package lists first (as root: apt-get update)." >&2
    exit 1
fi
for deb in "$WORK"/*.deb; do
    dpkg-deb -x "$deb" "$WORK/root"
done

SRC="$WORK/root/usr/share/wordnet"
[ -d "$SRC" ] || { echo "error: the packages hold no usr/share/wordnet" >&2; exit 1; }
cp "$SRC"/* "$STAGE"/

# lexnames: "NN<TAB>name<TAB>category" for the 45 lexicographer files (category 1 noun, 2 verb, 3 adj, 4 adv),
# read from the man page's table, which runs from the "_" line under its header to ".TE".
MAN="$WORK/root/usr/share/man/man5/lexnames.5WN.gz"
[ -f "$MAN" ] || { echo "error: wordnet-base has no lexnames(5WN) man page to build lexnames from" >&2; exit 1; }
gzip -dc "$MAN" | awk -F'\t' '
    /^_$/ { inside = 1; next }
    /^\.TE/ { inside = 0 }
    inside && $1 ~ /^[0-9][0-9]$/ {
        name = $2; gsub(/[ \t]+/, "", name)
        split(name, parts, ".")
        cat = (parts[1] == "noun") ? 1 : (parts[1] == "verb") ? 2 : (parts[1] == "adj") ? 3 : (parts[1] == "adv") ? 4 : 0
        if (cat == 0) { print "error: unknown lexicographer file " name > "/dev/stderr"; exit 1 }
        printf "%s\t%s\t%d\n", $1, name, cat
    }' > "$STAGE/lexnames"
LINES=$(wc -l < "$STAGE/lexnames")
if [ "$LINES" -ne 45 ] || [ "$(head -n1 "$STAGE/lexnames" | cut -f1)" != "00" ]; then
    echo "error: expected the 45 WordNet 3.0 lexicographer files (00..44), built $LINES lines" >&2
    exit 1
fi

{
    echo "WordNet 3.0 from Debian packages, laid out by scripts/fetch_wordnet.sh on $(date -u +%Y-%m-%d)"
    for deb in "$WORK"/*.deb; do
        echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
    done
    echo "lexnames generated from usr/share/man/man5/lexnames.5WN.gz"
} > "$STAGE/SOURCE.txt"

complete "$STAGE" || { echo "error: the unpacked WordNet lacks some of: ${REQUIRED[*]}" >&2; exit 1; }
chmod 0755 "$STAGE"
rm -rf "$TARGET"
mv "$STAGE" "$TARGET"
echo "WordNet ready in $TARGET (set NLTK_DATA=$DEST, or use the suite's default data dir)"
