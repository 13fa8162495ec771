# sed -E equivalents of the starter secret rules, one line per token shape, for the `sed` row of
# `npm run bench` (run as: LC_ALL=C sed -E -f bench/secrets.sed). GNU sed 4.x syntax.
# A baseline for throughput only: it knows nothing of entropy, allowlists or checksums.
# AWS access key id
s/\bAKIA[A-Z2-7]{16}\b/[REDACTED]/g
# GitHub classic personal access token
s/\bghp_[0-9A-Za-z]{36}\b/[REDACTED]/g
# GitHub fine-grained personal access token
s/\bgithub_pat_[0-9A-Za-z_]{82}\b/[REDACTED]/g
# GitLab personal access token
s/\bglpat-[0-9A-Za-z_-]{20}/[REDACTED]/g
# Slack bot token
s/\bxoxb-[0-9]{10,13}-[0-9]{10,13}-[0-9A-Za-z]{24}\b/[REDACTED]/g
# Stripe live secret key
s/\bsk_live_[0-9A-Za-z]{24,99}\b/[REDACTED]/g
# Google API key
s/\bAIza[0-9A-Za-z_-]{35}/[REDACTED]/g
# OpenAI project key
s/\bsk-proj-[0-9A-Za-z_-]{20,200}T3BlbkFJ[0-9A-Za-z_-]{20,200}/[REDACTED]/g
# Anthropic API key
s/\bsk-ant-api03-[0-9A-Za-z_-]{93}AA/[REDACTED]/g
# npm access token
s/\bnpm_[0-9A-Za-z]{36}\b/[REDACTED]/g
# JSON Web Token
s/\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{16,}/[REDACTED]/g
# PEM private key block (multi-line: a line-oriented sed replaces the whole range of lines)
/-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/,/-----END ([A-Z0-9]+ )*PRIVATE KEY-----/c\
[REDACTED]
# password = "..." (the quoted value; an unexpanded ${VAR} or $VAR is not a secret)
s/(password[[:space:]]*[:=][[:space:]]*")[^"$[:space:]]{8,}"/\1[REDACTED]"/Ig
# password in a postgres:// URL
s/(postgres(ql)?:\/\/[^:\/@[:space:]]+:)[^@\/$[:space:]]+@/\1[REDACTED]@/g
