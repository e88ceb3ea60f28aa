#!/usr/bin/env python3
"""A small stand-in for `chaos run` (Chaos Toolkit), for tests/integration/t_examples_chaostoolkit.sh:
it runs examples/chaostoolkit/experiment.json where Chaos Toolkit itself cannot be installed.

    chaos_run.py [--var KEY[:TYPE]=VALUE]... [--rollback-strategy default|always|never|deviated]
                 [--journal-path FILE] [--pause-scale FACTOR] EXPERIMENT.json

--var, --rollback-strategy and --journal-path (default ./journal.json) mean what they mean to
`chaos run`. --pause-scale is this script's own: every pause is multiplied by FACTOR (1 by
default), so that a test can play a 10 s pause in 2 s; the log says so when it is not 1.
Exit status 0 when the experiment completed without deviating, 1 otherwise (as `chaos run`),
and 1 when the experiment is not valid.

The semantics follow chaostoolkit-lib (chaoslib: experiment.py, run.py, activity.py,
hypothesis.py, provider/process.py, configuration.py, __init__.py). Implemented:
  - validation: title and description required, tags non-empty strings, a "method" key, each
    activity a "probe" or "action" with a name and a provider; every hypothesis probe has a
    tolerance; pauses are numbers; a process provider's "path" must be found on PATH as it is
    written (chaoslib validates the raw path: ${...} is not substituted in it).
  - "configuration": plain values, overridden (or added) by --var; KEY:TYPE=VALUE casts to int,
    float or bytes as chaos does. "${name}" in a process provider's "arguments" (and in the
    title) is replaced as string.Template.safe_substitute does; the path is not substituted.
  - process providers: "path" looked up on PATH, "arguments" a list (empty and null items
    dropped), a string (run through the shell) or a mapping; "timeout" in seconds (exceeded: the
    activity fails); the output is {"status", "stdout", "stderr"}; a nonzero exit outside the
    hypothesis is only a warning, as in chaos.
  - tolerances: an integer (the process's exit status must equal it), a boolean or a string
    (equal to the output), a list (the exit status is in it; two numbers: a range).
  - the run: the steady-state hypothesis before the method (not met: status "failed", the
    method is not played), the method's activities in order with "pauses" before and after,
    the hypothesis again after the method (not met: deviated, status "failed"); a hypothesis
    stops at its first probe out of tolerance. Then the rollbacks, in order, by the rollback
    strategy: from --rollback-strategy, else the experiment's "runtime.rollbacks.strategy",
    else "default", which does NOT play them when the run failed or deviated; "always",
    "never", "deviated". The hypothesis strategy: "runtime.hypothesis.strategy" = default,
    before-method-only or after-method-only.
  - the journal: experiment, start, end, duration, status, deviated, steady_states (before,
    after, during), run, rollbacks; each run with activity, output, status, start, end,
    duration (and tolerance_met in a hypothesis), as chaos writes it.
Not implemented (rejected at validation, so that nothing is silently skipped): python and
http providers, "ref" activities, background activities, secrets, controls, extensions,
configuration values given as mappings (environment lookups), regex/jsonpath/range/probe
tolerances, the during-method and continuous hypothesis strategies, --dry.
"""
import argparse
import datetime
import json
import numbers
import os
import platform
import shutil
import string
import subprocess
import sys
import time


class Invalid(Exception):
    pass


class ActivityFailed(Exception):
    pass


def log(level, msg):
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    print(f"[{stamp} {level}] {msg}", file=sys.stderr, flush=True)


def info(msg):
    log("INFO", msg)


# ---- validation ----------------------------------------------------------------------------

def validate_activity(a, where):
    if not isinstance(a, dict) or not a:
        raise Invalid(f"{where}: empty activity is no activity")
    if "ref" in a:
        raise Invalid(f"{where}: 'ref' activities are not implemented by this runner")
    if a.get("type") not in ("probe", "action"):
        raise Invalid(f"{where}: '{a.get('type')}' is not a supported activity type")
    if not a.get("name"):
        raise Invalid(f"{where}: an activity must have a name")
    if a.get("background"):
        raise Invalid(f"{where}: background activities are not implemented by this runner")
    if a.get("controls"):
        raise Invalid(f"{where}: controls are not implemented by this runner")
    for key in ("before", "after"):
        p = (a.get("pauses") or {}).get(key)
        if p is not None and not isinstance(p, numbers.Number):
            raise Invalid(f"{where}: activity {key} pause must be a number")
    provider = a.get("provider")
    if not provider:
        raise Invalid(f"{where}: an activity requires a provider")
    ptype = provider.get("type")
    if ptype != "process":
        raise Invalid(f"{where}: provider type '{ptype}' is not implemented by this runner "
                      "(only process)")
    raw = provider.get("path")
    if not raw:
        raise Invalid("a process activity must have a path")
    path = shutil.which(raw)
    if not path:
        raise Invalid(f"path '{raw}' cannot be found, in activity '{a['name']}'")
    if not os.access(path, os.X_OK):
        raise Invalid(f"no access permission to '{raw}', in activity '{a['name']}'")


def validate_tolerance(t, where):
    if isinstance(t, dict):
        raise Invalid(f"{where}: tolerance type '{t.get('type')}' is not implemented by "
                      "this runner")
    if not isinstance(t, (bool, int, list, str)):
        raise Invalid(f"{where}: hypothesis probe tolerance must either be an integer, a "
                      "string, a boolean or a pair of values for boundaries")


def validate(exp):
    info("Validating the experiment's syntax")
    if not exp:
        raise Invalid("an empty experiment is not an experiment")
    if not exp.get("title"):
        raise Invalid("experiment requires a title")
    if not exp.get("description"):
        raise Invalid("experiment requires a description")
    for t in exp.get("tags") or []:
        if t == "" or not isinstance(t, str):
            raise Invalid("experiment tags must be a non-empty string")
    for key in ("secrets", "controls", "extensions"):
        if exp.get(key):
            raise Invalid(f"'{key}' is not implemented by this runner")
    for key, value in (exp.get("configuration") or {}).items():
        if isinstance(value, dict):
            raise Invalid(f"configuration '{key}': mappings are not implemented by this runner")
    hypo = exp.get("steady-state-hypothesis")
    if hypo is not None:
        if not hypo.get("title"):
            raise Invalid("hypothesis requires a title")
        for i, probe in enumerate(hypo.get("probes") or []):
            where = f"steady-state-hypothesis probe {i}"
            validate_activity(probe, where)
            if "tolerance" not in probe:
                raise Invalid("hypothesis probe must have a tolerance entry")
            validate_tolerance(probe["tolerance"], where)
    if exp.get("method") is None:
        raise Invalid("an experiment requires a method, which can be empty for only "
                      "checking steady state hypothesis ")
    for i, a in enumerate(exp["method"]):
        validate_activity(a, f"method activity {i}")
    for i, a in enumerate(exp.get("rollbacks") or []):
        validate_activity(a, f"rollback {i}")
    runtime = exp.get("runtime") or {}
    hs = (runtime.get("hypothesis") or {}).get("strategy", "default")
    if hs not in ("default", "before-method-only", "after-method-only"):
        raise Invalid(f"hypothesis strategy '{hs}' is not implemented by this runner")
    rs = (runtime.get("rollbacks") or {}).get("strategy", "default")
    if rs not in ("default", "always", "never", "deviated"):
        raise Invalid(f"unknown rollback strategy '{rs}'")
    info("Experiment looks valid")


# ---- configuration -------------------------------------------------------------------------

def convert_var(spec):
    """--var KEY[:TYPE]=VALUE, as chaoslib's convert_vars."""
    if "=" not in spec:
        raise ValueError(f"var '{spec}' must be KEY=VALUE or KEY:TYPE=VALUE")
    key, value = spec.split("=", 1)
    typ = "str"
    if ":" in key:
        key, typ = key.rsplit(":", 1)
    casts = {"str": str, "int": int, "float": float, "bytes": lambda v: v.encode("utf-8")}
    if typ not in casts:
        raise ValueError(f"var '{spec}' is using an unsupported type '{typ}'")
    return key, casts[typ](value)


def substitute(data, config):
    """${name} replaced by configuration values, recursively (chaoslib's substitute)."""
    if not data or not config:
        return data
    if isinstance(data, str):
        return string.Template(data).safe_substitute(config)
    if isinstance(data, (list, tuple)):
        return [substitute(v, config) for v in data]
    if isinstance(data, dict):
        return {k: substitute(v, config) for k, v in data.items()}
    return data


# ---- running activities --------------------------------------------------------------------

def run_process(activity, config):
    provider = activity["provider"]
    timeout = provider.get("timeout")
    arguments = provider.get("arguments", [])
    if arguments and config:
        arguments = substitute(arguments, config)
    path = shutil.which(os.path.expanduser(provider["path"]))
    if path is None:
        raise ActivityFailed(f"path '{provider['path']}' cannot be found")
    shell = False
    if isinstance(arguments, str):
        shell = True
        arguments = f"{path} {arguments}"
    else:
        if isinstance(arguments, dict):
            arguments = [x for kv in arguments.items() for x in kv]
        arguments = [str(p) for p in arguments if p not in (None, "")]
        arguments.insert(0, path)
    try:
        proc = subprocess.run(arguments, timeout=timeout, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=os.environ, shell=shell)
    except subprocess.TimeoutExpired:
        raise ActivityFailed("process activity took too long to complete")
    if "tolerance" not in activity and proc.returncode > 0:
        log("WARNING", "This process returned a non-zero exit code. This may indicate some "
            "error and not what you expected. Please have a look at the logs.")
    return {"status": proc.returncode,
            "stdout": proc.stdout.decode("utf-8", "replace"),
            "stderr": proc.stderr.decode("utf-8", "replace")}


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def pause(seconds, when, scale):
    if not seconds:
        return
    if scale == 1:
        info(f"Pausing {when} activity for {seconds}s...")
    else:
        info(f"Pausing {when} activity for {seconds}s... (--pause-scale {scale}: "
             f"{seconds * scale:g}s)")
    time.sleep(seconds * scale)


def execute_activity(activity, config, scale):
    pauses = activity.get("pauses") or {}
    pause(pauses.get("before"), "before next", scale)
    info(f"{activity['type'].title()}: {activity['name']}")
    start = now()
    run = {"activity": activity, "output": None}
    try:
        run["output"] = run_process(activity, config)
        run["status"] = "succeeded"
    except ActivityFailed as e:
        run["status"] = "failed"
        run["exception"] = [f"chaoslib.exceptions.ActivityFailed: {e}\n"]
        log("ERROR", f"  => failed: {e}")
    end = now()
    run["start"], run["end"] = start.isoformat(), end.isoformat()
    run["duration"] = (end - start).total_seconds()
    pause(pauses.get("after"), "after", scale)
    return run


def within_tolerance(tolerance, value):
    if isinstance(tolerance, bool) or isinstance(tolerance, str):
        return value == tolerance
    if isinstance(tolerance, int):
        if isinstance(value, dict) and "status" in value:
            return value["status"] == tolerance
        return value == tolerance
    if isinstance(tolerance, list):
        if isinstance(value, dict) and "status" in value:
            return value["status"] in tolerance
        if len(tolerance) == 2:
            return tolerance[0] <= value <= tolerance[1]
        return value in tolerance
    return False


def run_hypothesis(hypo, config, scale):
    state = {"steady_state_met": None, "probes": []}
    info(f"Steady state hypothesis: {hypo.get('title')}")
    for probe in hypo.get("probes") or []:
        run = execute_activity(probe, config, scale)
        state["probes"].append(run)
        if run["status"] == "failed":
            run["tolerance_met"] = False
            state["steady_state_met"] = False
            log("WARNING", "Probe terminated unexpectedly, so its tolerance could not be "
                "validated")
            return state
        run["tolerance_met"] = True
        if not within_tolerance(probe["tolerance"], run["output"]):
            run["tolerance_met"] = False
            state["steady_state_met"] = False
            return state
    state["steady_state_met"] = True
    info("Steady state hypothesis is met!")
    return state


# ---- the run -------------------------------------------------------------------------------

def run_experiment(exp, config, rollback_strategy, scale):
    exp["title"] = substitute(exp["title"], config)
    info(f"Running experiment: {exp['title']}")
    started = time.time()
    journal = {
        "runner": "tests/integration/chaos_run.py (a subset of chaos run)",
        "platform": platform.platform(), "node": platform.node(),
        "experiment": json.loads(json.dumps(exp)), "start": now().isoformat(),
        "status": None, "deviated": False,
        "steady_states": {"before": None, "after": None, "during": []},
        "run": [], "rollbacks": [],
    }
    runtime = exp.get("runtime") or {}
    hs = (runtime.get("hypothesis") or {}).get("strategy", "default")
    info(f"Steady-state strategy: {hs}")
    info(f"Rollbacks strategy: {rollback_strategy}")
    hypo = exp.get("steady-state-hypothesis")
    with_ssh = bool(hypo and hypo.get("probes"))
    if not with_ssh:
        info("No steady state hypothesis defined. That's ok, just exploring.")

    gate_open = True
    if with_ssh and hs in ("default", "before-method-only"):
        state = run_hypothesis(hypo, config, scale)
        journal["steady_states"]["before"] = state
        if not state["steady_state_met"]:
            journal["status"] = "failed"
            log("CRITICAL", f"Steady state probe '{state['probes'][-1]['activity']['name']}' "
                "is not in the given tolerance so failing this experiment")
            gate_open = False
    if gate_open:
        info("Playing your experiment's method now...")
        for activity in exp["method"]:
            journal["run"].append(execute_activity(activity, config, scale))
        if with_ssh and hs in ("default", "after-method-only"):
            state = run_hypothesis(hypo, config, scale)
            journal["steady_states"]["after"] = state
            if not state["steady_state_met"]:
                journal["deviated"] = True
                journal["status"] = "failed"
                log("CRITICAL", "Steady state probe "
                    f"'{state['probes'][-1]['activity']['name']}' is not in the given "
                    "tolerance so failing this experiment")

    play = False
    if rollback_strategy == "always":
        log("WARNING", "Rollbacks were explicitly requested to be played")
        play = True
    elif rollback_strategy == "never":
        log("WARNING", "Rollbacks were explicitly requested to not be played")
    elif rollback_strategy == "default":
        play = journal["status"] not in ("failed", "interrupted")
    elif rollback_strategy == "deviated":
        play = journal["deviated"]
        if play:
            log("WARNING", "Rollbacks will be played only because the experiment deviated")
        else:
            log("WARNING", "Rollbacks were explicitely requested to be played only if the "
                "experiment deviated. Since this is not the case, we will not play them.")
    if play:
        info("Let's rollback...")
        if not exp.get("rollbacks"):
            info("No declared rollbacks, let's move on.")
        for activity in exp.get("rollbacks") or []:
            info(f"Rollback: {activity['name']}")
            journal["rollbacks"].append(execute_activity(activity, config, scale))

    journal["end"] = now().isoformat()
    journal["duration"] = time.time() - started
    if journal["status"] not in ("completed", "failed", "aborted", "interrupted"):
        journal["status"] = "completed"
    status = "deviated" if journal["deviated"] else journal["status"]
    info(f"Experiment ended with status: {status}")
    if journal["deviated"]:
        info("The steady-state has deviated, a weakness may have been discovered")
    return journal


def main():
    ap = argparse.ArgumentParser(description="Run a Chaos Toolkit experiment (a subset).")
    ap.add_argument("--var", action="append", default=[])
    ap.add_argument("--rollback-strategy", choices=["default", "always", "never", "deviated"])
    ap.add_argument("--journal-path", default="./journal.json")
    ap.add_argument("--pause-scale", type=float, default=1.0)
    ap.add_argument("source")
    args = ap.parse_args()
    try:
        extra = dict(convert_var(v) for v in args.var)
    except ValueError as e:
        ap.error(str(e))
    with open(args.source, encoding="utf-8") as f:
        exp = json.load(f)
    try:
        validate(exp)
    except Invalid as e:
        log("ERROR", str(e))
        return 1
    config = dict(exp.get("configuration") or {})
    config.update(extra)
    strategy = args.rollback_strategy or \
        ((exp.get("runtime") or {}).get("rollbacks") or {}).get("strategy", "default")
    journal = run_experiment(exp, config, strategy, args.pause_scale)
    with open(args.journal_path, "w", encoding="utf-8") as f:
        json.dump(journal, f, indent=2, ensure_ascii=False)
    return 0 if journal["status"] == "completed" and not journal["deviated"] else 1


if __name__ == "__main__":
    sys.exit(main())
