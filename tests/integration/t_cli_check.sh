#!/usr/bin/env bash
# faultline check: each file is validated by the shim's own reader; a valid one is printed as
# understood (globals with defaults filled in, the durable globs and torn sectors among them;
# per rule its calls with classes expanded, each condition given in canonical form, triggers,
# probability, action and argument, delay and jitter, dry_run), golden outputs below; an
# invalid one gives the shim's one-line message, and exit status 1. --list-calls prints the call table of lib/calls.def: every call, its
# classes, its actions and its variants.
. "$FL_ROOT/tests/integration/lib.sh"
FL=$(cd "$FL_PROGS/../.." && pwd)/faultline
[ -x "$FL" ] || fail "$FL is not built (make builds it)"
USAGE='usage: faultline check [--list-calls] [file ...]'

# ---- valid files: golden output ------------------------------------------------------------

cat > c1.conf <<'CFG'
# A disk that fills up, a database that refuses, a flaky peer.
seed    = 42;
log     = "/tmp/fl-%p.jsonl";
summary = true;

rules = (
  {
    name  = "disk-full";
    calls = [ "write", "@sync" ];
    path  = "*.db";
    after = 100;
    times = 3;
    error = "ENOSPC";
  },
  {
    name   = "db-refused";
    calls  = [ "connect" ];
    peer   = "[0:0:0:0:0:0:0:1]:5432";
    delay  = "1.5s";
    jitter = "250000us";
    error  = "ECONNREFUSED";
  },
  {
    calls       = [ "read", "recv" ];
    peer        = "::ffff:10.1.0.0/112";
    fd          = "socket";
    min_size    = 512;
    max_size    = 65536;
    every       = 3;
    start       = "2m";
    duration    = "0.5s";
    probability = 0.25;
    partial     = "50%";
  }
);
CFG

cat > c2.conf <<'CFG'
children = false;
dry_run  = true;
programs = [ "curl", "python3*" ];
rules = (
  { name = "dns"; calls = [ "@dns" ]; delay = "2s"; error = "EAI_AGAIN"; probability = 0.3; },
  { name = "crash"; calls = [ "fsync" ]; kill = "ABRT"; enabled = false; dry_run = false; },
  { name = "flip"; calls = [ "@write" ]; peer = "unix:/run/*.sock"; corrupt = 2; },
  { name = "lost"; calls = [ "@write" ]; drop = true; max_size = 10; }
);
CFG

cat > c1.expected <<'OUT'
c1.conf: 3 rules
  seed         42
  log          /tmp/fl-%p.jsonl
  summary      true
  children     true
  control      false
  dry_run      false
  programs     any
  durable      none

rule disk-full (c1.conf:7)
  calls        write fsync fdatasync sync_file_range syncfs
  enabled      true
  path         */*.db
  after        100
  every        1
  times        3
  start        0
  duration     no end
  probability  1
  action       error ENOSPC
  dry_run      false

rule db-refused (c1.conf:15)
  calls        connect
  enabled      true
  peer         [::1]:5432
  after        0
  every        1
  times        no limit
  start        0
  duration     no end
  probability  1
  action       error ECONNREFUSED
  delay        1500ms
  jitter       250ms
  dry_run      false

rule rule3 (c1.conf:23)
  calls        read recv
  enabled      true
  peer         10.1.0.0/16
  fd           socket
  min_size     512
  max_size     65536
  after        0
  every        3
  times        no limit
  start        120s
  duration     500ms
  probability  0.25
  action       partial 50%
  dry_run      false
OUT

cat > c2.expected <<'OUT'
c2.conf: 4 rules
  seed         random
  log          none
  summary      false
  children     false
  control      false
  dry_run      true
  programs     curl python3*
  durable      none

rule dns (c2.conf:5)
  calls        getaddrinfo getnameinfo gethostbyname gethostbyname_r
               gethostbyaddr
  enabled      true
  after        0
  every        1
  times        no limit
  start        0
  duration     no end
  probability  0.3
  action       error EAI_AGAIN
  delay        2s
  dry_run      true

rule crash (c2.conf:6)
  calls        fsync
  enabled      false
  after        0
  every        1
  times        no limit
  start        0
  duration     no end
  probability  1
  action       kill SIGABRT
  dry_run      false

rule flip (c2.conf:7)
  calls        write pwrite writev pwritev send sendto sendmsg fwrite fputs
               fputc fprintf
  enabled      true
  peer         unix:/run/*.sock
  after        0
  every        1
  times        no limit
  start        0
  duration     no end
  probability  1
  action       corrupt 2 bits
  dry_run      true

rule lost (c2.conf:8)
  calls        write pwrite writev pwritev send sendto sendmsg fwrite fputs
               fputc fprintf fflush sendmmsg
  enabled      true
  max_size     10
  after        0
  every        1
  times        no limit
  start        0
  duration     no end
  probability  1
  action       drop
  dry_run      true
OUT

capture "$FL" check c1.conf
expect_status "check c1.conf" 0 "$RC"
expect_same_file "check c1.conf: the rules as understood" c1.expected "$OUT_FILE"
expect_eq "check c1.conf: nothing on stderr" "" "$ERR"
capture "$FL" check c2.conf
expect_status "check c2.conf" 0 "$RC"
expect_same_file "check c2.conf: the rules as understood" c2.expected "$OUT_FILE"

# Durability tracking: the globs as matched, the torn sectors, a power_loss rule; torn says
# "none" when durable stands alone.
cat > c3.conf <<'CFG'
durable = [ "/srv/db/*", "wal/*" ];
torn    = { sector = 4096; keep = 0.25; };
rules = (
  { name = "plug"; calls = [ "fdatasync" ]; path = "*-wal"; after = 2; times = 1;
    power_loss = true; }
);
CFG
cat > c3.expected <<'OUT'
c3.conf: 1 rule
  seed         random
  log          none
  summary      false
  children     true
  control      false
  dry_run      false
  programs     any
  durable      /srv/db/* */wal/*
  torn         sectors of 4096 bytes, keep 0.25

rule plug (c3.conf:4)
  calls        fdatasync
  enabled      true
  path         */*-wal
  after        2
  every        1
  times        1
  start        0
  duration     no end
  probability  1
  action       power_loss
  dry_run      false
OUT
capture "$FL" check c3.conf
expect_status "check c3.conf" 0 "$RC"
expect_same_file "check c3.conf: durable, torn, power_loss" c3.expected "$OUT_FILE"
printf 'durable = "/x/*";\n' > c4.conf
capture "$FL" check c4.conf
expect_status "check c4.conf" 0 "$RC"
expect_match "check c4.conf: no torn sectors" "$OUT" \
    '^  torn         none: a power loss loses every unsynced change$'

# Two files: one after the other, a blank line between.
{ cat c1.expected; echo; cat c2.expected; } > both.expected
capture "$FL" check c1.conf c2.conf
expect_status "check c1.conf c2.conf" 0 "$RC"
expect_same_file "check of two files" both.expected "$OUT_FILE"

# ---- invalid files: the shim's messages, exit status 1 -------------------------------------

printf 'rules = (\n  { name = "slow"; calls = [ "read" ]; delay = "10ms"; probablity = 0.5; }\n);\n' \
    > typo.conf
printf 'seed = 1;\nrules = (\n  { calls = [ "read" ; error = "EIO"; }\n);\n' > syntax.conf
printf 'rules = (\n  { name = "short";\n    calls = [ "connect" ];\n    partial = "50%%"; }\n);\n' \
    > misfit.conf
printf 'rules = ( { calls = [ "pread64" ]; error = "EIO"; } );\n' > symbol.conf
printf 'rules = ( { calls = [ "read" ]; delay = "1ms"; } );\nrules = ();\n' > twice.conf

# bad FILE MESSAGE: check FILE fails with exactly MESSAGE on stderr and nothing on stdout.
bad() {
    capture "$FL" check "$1"
    expect_status "check $1" 1 "$RC"
    expect_eq "check $1: message" "$2" "$ERR"
    expect_eq "check $1: nothing on stdout" "" "$OUT"
}
bad typo.conf "faultline: typo.conf:2: rule 'slow': unknown key 'probablity' (did you mean 'probability'?)"
bad syntax.conf "faultline: syntax.conf:3: syntax error"
bad misfit.conf "faultline: misfit.conf:3: rule 'short': call 'connect' cannot take 'partial'"
bad symbol.conf "faultline: symbol.conf:1: rule 'rule1': unknown call 'pread64' (did you mean 'pread'?)"
bad twice.conf "faultline: twice.conf:2: duplicate setting name"
bad missing.conf "faultline: missing.conf: cannot read config: No such file or directory"

# A bad file among good ones: the good ones are still printed, the status is 1.
capture "$FL" check c1.conf typo.conf c2.conf
expect_status "check of a good, a bad and a good file" 1 "$RC"
expect_same_file "the good files printed" both.expected "$OUT_FILE"
expect_eq "the bad file's message" \
    "faultline: typo.conf:2: rule 'slow': unknown key 'probablity' (did you mean 'probability'?)" \
    "$ERR"

# ---- usage ---------------------------------------------------------------------------------

capture "$FL" check
expect_status "check without a file" 2 "$RC"
expect_eq "check without a file: message and usage" "faultline: check: no file to check
$USAGE" "$ERR"
capture "$FL" check --lists-calls
expect_status "check --lists-calls" 2 "$RC"
expect_eq "check --lists-calls: usage" "$USAGE" "$(tail -n 1 "$ERR_FILE")"
capture "$FL" check --help
expect_status "check --help" 0 "$RC"
expect_eq "check --help: usage first" "$USAGE" "$(head -n 1 "$OUT_FILE")"

# ---- the call table ------------------------------------------------------------------------

capture "$FL" check --list-calls
expect_status "check --list-calls" 0 "$RC"
expect_eq "--list-calls: the header" "CALL CLASSES ACTIONS VARIANTS" \
    "$(head -n 1 "$OUT_FILE" | tr -s ' ')"
calls=$(sed -n 's/^FL_CALL(\([a-z_0-9]*\),.*/\1/p' "$FL_ROOT/lib/calls.def")
[ -n "$calls" ] || fail "no FL_CALL rows found in lib/calls.def"
expect_eq "--list-calls: one line per call of lib/calls.def, in its order" "$calls" \
    "$(tail -n +2 "$OUT_FILE" | awk '{ print $1 }')"
expect_match "--list-calls: pread" "$OUT" \
    '^pread +@read +error delay partial eof corrupt kill power_loss +pread64 __pread_chk __pread64_chk$'
expect_match "--list-calls: recv in two classes" "$OUT" '^recv +@read @net +error '
expect_match "--list-calls: fprintf and its family" "$OUT" \
    '^fprintf +@write +error delay partial corrupt drop kill power_loss +printf vfprintf vprintf __fprintf_chk __printf_chk __vfprintf_chk __vprintf_chk$'
expect_match "--list-calls: a call without variants" "$OUT" '^connect +@net +error delay kill power_loss +-$'
# Every symbol of the table is listed once, as a variant of its call (or as the call itself).
syms=$(sed -n 's/^FL_SYM_[A-Z]*(\([a-zA-Z_0-9]*\), *\([a-z_0-9]*\)[,)].*/\1 \2/p' \
    "$FL_ROOT/lib/calls.def" | awk '$1 != $2 { print $1 }' | sort)
[ -n "$syms" ] || fail "no FL_SYM rows found in lib/calls.def"
col=$(head -n 1 "$OUT_FILE" | awk '{ print index($0, "VARIANTS") }')
expect_eq "--list-calls: every variant of lib/calls.def" "$syms" \
    "$(tail -n +2 "$OUT_FILE" | cut -c "$col"- | tr ' ' '\n' | grep -v '^-\{0,1\}$' | sort)"
