#!/usr/bin/env bash
# Regenerates src/auth/common_passwords.txt, the list of common passwords Nexus refuses
# (R-Q-SEC, docs/security.md). Source: John the Ripper's password.lst from Debian's john-data
# package ("compiled by Solar Designer of Openwall Project ... assumed to be in the public
# domain"), plus the usual ways people stretch a common password to a length rule: the word
# repeated, followed by digits, years or '!', digit runs and keyboard walks. Only entries of
# 12 characters or more are kept: shorter ones are refused by the length rule already.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download john-data >/dev/null && dpkg-deb -x john-data_*.deb x)
grep -v '^#!comment' "$tmp/x/usr/share/john/password.lst" | tr 'A-Z' 'a-z' | awk 'length($0)>0' \
  > "$tmp/words"
{
  cat "$tmp/words"
  head -n 2000 "$tmp/words" | awk '{
    w = $0
    print w w
    n = split("1 12 123 1234 12345 123456 1234567 12345678 ! !! 1! 123! 01 007 69 2020 2021 2022 2023 2024 2025 2026 @123 #1 .", s, " ")
    for (i = 1; i <= n; i++) print w s[i]
  }'
  awk 'BEGIN {
    for (d = 0; d <= 9; d++) { r = ""; for (i = 0; i < 16; i++) { r = r d; if (i >= 11) print r } }
    seq = "12345678901234567890"; for (l = 12; l <= 20; l++) print substr(seq, 1, l)
    rev = "09876543210987654321"; for (l = 12; l <= 20; l++) print substr(rev, 1, l)
    n = split("qwertyuiopasdfghjklzxcvbnm 1qaz2wsx3edc4rfv5tgb qazwsxedcrfvtgbyhn azertyuiopqsdfghjklm qwertzuiopasdfghjkl 1q2w3e4r5t6y7u8i9o0p zaq12wsxcde3 !qaz2wsx#edc", k, " ")
    for (i = 1; i <= n; i++) for (l = 12; l <= length(k[i]); l++) print substr(k[i], 1, l)
  }'
} | awk 'length($0) >= 12 && !seen[$0]++' > src/auth/common_passwords.txt
wc -l src/auth/common_passwords.txt
