#!/bin/sh
# classify.sh [CORPUS] - classifier throughput (default rule set, one core)
# over the decoded text bodies of a corpus, and in the same run
# `rg -P -i -c -f PATTERNS` with the same patterns over the same text when
# ripgrep is installed; then the ten rules that cost the most, each timed
# alone (bench_classify --per-rule). CORPUS is a directory holding a Maildir tree
# (default: the ingest bench corpus, else ../shared/corpus).
# Environment (from run.sh): BUILD, BENCH_DIR, TOP, GENCORPUS.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=$TOP/build}"
: "${BENCH_DIR:=/tmp/casetrail-bench}"
bench="$BUILD/bench/bench_classify"
rules="$TOP/config/rules.conf"
[ -x "$bench" ] || { echo "classify: $bench not built (make bench), skipped"; exit 0; }
corpus=${1:-}
if [ -z "$corpus" ]; then
	if [ -d "$BENCH_DIR/corpus-ingest/maildir" ]; then
		corpus="$BENCH_DIR/corpus-ingest"
	elif [ -d "$TOP/../shared/corpus/maildir" ]; then
		corpus="$TOP/../shared/corpus"
	else
		echo "classify: no corpus (pass a directory with Maildirs), skipped"
		exit 0
	fi
fi
command -v python3 >/dev/null 2>&1 || { echo "classify: python3 is needed to extract the bodies, skipped"; exit 0; }
mkdir -p "$BENCH_DIR"
text="$BENCH_DIR/classify-bodies.txt"
pats="$BENCH_DIR/classify-patterns.txt"
# Decoded text bodies (text/plain preferred, else the HTML part), one per
# message, separated by a line holding only 0x1e.
python3 - "$corpus" "$text" <<'EOF' || exit 1
import email, email.policy, html, os, re, sys
root, out = sys.argv[1], sys.argv[2]
def text_of(part):
    body = part.get_content()
    if part.get_content_type() != 'text/html':
        return body
    # What ingest stores for an HTML-only mail: text, line breaks kept, quotes as '> '.
    body = re.sub(r'(?is)<(head|style|script)\b.*?</\1>', '', body)
    body = re.sub(r'(?i)<br\s*/?>|</(?:div|p|li|tr|h[1-6])>', '\n', body)
    out, depth = [], 0
    for tok in re.split(r'(<[^>]+>)', body):
        if tok.startswith('<'):
            t = tok.lower()
            if t.startswith('<blockquote'):
                depth += 1
            elif t.startswith('</blockquote'):
                depth = max(0, depth - 1)
            continue
        tok = html.unescape(tok)
        out.append(re.sub(r'(?m)^', '> ' * depth, tok) if depth else tok)
    return re.sub(r'\n{3,}', '\n\n', ''.join(out))
seen = set()
with open(out, 'wb') as f:
    for d, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            p = os.path.join(d, name)
            if os.path.basename(d) not in ('cur', 'new'):
                continue
            try:
                m = email.message_from_binary_file(open(p, 'rb'), policy=email.policy.default)
                mid = m.get('Message-ID', p)
                if mid in seen:
                    continue
                seen.add(mid)
                part = m.get_body(preferencelist=('plain', 'html'))
                body = text_of(part) if part else ''
            except Exception:
                continue
            f.write(body.encode('utf-8', 'replace') + b'\n\x1e\n')
EOF
"$bench" --patterns "$rules" > "$pats" || exit 1
out=$("$bench" --rules "$rules" "$text") || exit 1
echo "$out"
# Where the time goes: the ten costliest rules, each timed alone.
"$bench" --per-rule --rules "$rules" "$text" | head -11 | sed 's/^/classify: /'
ours=$(echo "$out" | sed -n 's/.*every rule on every byte: \([0-9][0-9]*\) MiB\/s.*/\1/p')
if command -v rg >/dev/null 2>&1; then
	size=$(wc -c < "$text")
	s=$(date +%s.%N)
	rg -P -i -c -f "$pats" "$text" >/dev/null 2>"$BENCH_DIR/rg.err"
	rc=$?
	e=$(date +%s.%N)
	if [ $rc -gt 1 ]; then
		echo "rg -P -i -c -f: failed ($(head -1 "$BENCH_DIR/rg.err"))"
	else
		rgr=$(echo "$size $s $e" | awk '{printf "%.1f", $1/1048576/($3-$2)}')
		echo "rg -P -i -c -f (same $(wc -l < "$pats") patterns, same text): $rgr MiB/s"
		[ -n "$ours" ] && echo "classify (every rule on every byte) vs rg: $(echo "$ours $rgr" | awk '{printf "%.1f", $1/$2}')x"
	fi
else
	echo "ripgrep not installed: no side-by-side figure (sh tests/deps.sh ripgrep)"
fi
