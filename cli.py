"""``afterschool``: thin Click commands, one library call each.

Exit codes: 0 success; 1 a check found violations or an internal error; 2 bad input (every
problem listed with file, row and column); 3 plan written but with shortages; 4 not even a
grouping exists (the planner otherwise always returns its best plan so far); 5 the term's
record is busy (another command held it past the wait; nothing written).
"""
from __future__ import annotations

import functools
import json
import math
import sys
import time
import traceback
from pathlib import Path

import click

from afterschool.models.errors import InputError, Problem
from afterschool.scheduler.record.errors import RecordBusy, RecordError
from afterschool.scheduler.say import say
from afterschool.scheduler.planning.backstop import backstop_text
from afterschool.scheduler.reading import options as opt

EXIT_BAD_INPUT, EXIT_SHORTAGE, EXIT_NO_SOLUTION, EXIT_BUSY = 2, 3, 4, 5


def _err_lang() -> str | None:
    """The language of an error: the school's once known, else --lang, else None (both)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    return ctx.meta.get("lang") or ctx.params.get("lang")


def _print_problems(err: InputError) -> None:
    from afterschool.scheduler.say_errors import problem_text
    lang = getattr(err, "lang", None) or _err_lang()
    for shown in [lang] if lang else ["zh", "en"]:  # not known yet: both, zh first
        click.echo(say("problem_frame.count", shown, n=len(err.problems)), err=True)
        for p in err.problems:
            click.echo(f"  - {problem_text(p, shown)}", err=True)
        for w in err.warnings:
            click.echo("  " + say("problem_frame.warning", shown, w=problem_text(w, shown)),
                       err=True)


def _print_error(err: Exception, key: str | None = None, **values) -> None:
    """``error: …`` in the command's language (both when not known yet): the sentence
    ``key`` of the catalogue, else the error's own message."""
    from afterschool.scheduler.say_errors import message
    lang = _err_lang()
    for shown in [lang] if lang else ["zh", "en"]:
        text = say(key, shown, **values) if key else message(err, shown)
        click.echo(say("problem_frame.error", shown, e=text), err=True)


def _warn(text, lang: str | None = None) -> None:
    """``warning: …`` in ``lang``, else the command's language (zh when not known)."""
    from afterschool.scheduler.say_errors import message
    lang = lang or _err_lang()
    click.echo(say("problem_frame.warning", lang, w=message(text, lang)), err=True)


def handles_errors(fn):
    """Bad input -> exit 2 with every problem; other errors -> one line, exit 1 (-v: trace)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = click.get_current_context()
        try:
            return fn(*args, **kwargs)
        except InputError as err:
            _print_problems(err)
            ctx.exit(EXIT_BAD_INPUT)
        except RecordBusy as err:
            from afterschool.scheduler.say_errors import message
            lang = ctx.meta.get("lang")
            click.echo(say("busy", lang, detail=message(err, lang)), err=True)
            ctx.exit(EXIT_BUSY)
        except RecordError as err:
            _print_error(err)
            ctx.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # output piped into `head` and the like: stop quietly
            import os
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except FileExistsError as err:
            _print_error(err)
            ctx.exit(EXIT_BAD_INPUT)
        except PermissionError as err:  # --out of fees, pay, roster, … that we may not write
            _print_error(err, "problem_frame.cannot_write", path=err.filename or "--out")
            ctx.exit(EXIT_BAD_INPUT)
        except Exception as err:  # noqa: BLE001 - a user sees one line, -v shows the trace
            if (ctx.find_root().params or {}).get("verbose"):
                traceback.print_exc()
            from afterschool.scheduler.say_errors import lines
            for line in lines("problem_frame.internal", _err_lang(), kind=type(err).__name__,
                              e=err):
                click.echo(line, err=True)
            ctx.exit(1)
    return wrapper


HANDOUT_CHOICES = ("workbook", "notice", "rosters", "charts", "report", "all")


def output_set_options(fn):
    """--force, --skip and --lang of every command that writes a plan's output set."""
    fn = click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
                      help="Language of the hand-outs (default: the school's).")(fn)
    fn = click.option("--skip", multiple=True, type=click.Choice(HANDOUT_CHOICES),
                      help="Do not write these hand-outs (repeatable).")(fn)
    return click.option("--force", is_flag=True,
                        help="Write into a non-empty folder not made by us.")(fn)


def record_options(fn):
    """--by: who makes this command's record entries (default: the login name)."""
    return click.option("--by", "by", default=None, metavar="NAME",
                        help="Author of the record entries (default: your login name).")(fn)


def _author(by: str | None) -> str:
    from afterschool.scheduler.record.store import login_name
    from afterschool.scheduler.reading.clean import clean_text
    name = (by if by is not None else login_name()).strip()
    text, found = clean_text(name, limit=max(len(name), 1))
    if not text or found or len(text) > 100:
        raise InputError([Problem("--by", "not a usable name", value=name,
                                  expected="a name of 1-100 printable characters")])
    return text


# the default --time-limit of replan and substitute, and of clubs (whose re-plan from the
# draw's start moves every member): the bundled school's whole command within the promise
TERM_LIMIT, CLUBS_LIMIT = 7.0, 10.0


def term_change_options(fn):
    """--out, --time-limit, --seed, --by and the output options of the commands that
    change a term (substitute, replan)."""
    fn = json_option(fn)
    fn = output_set_options(fn)
    fn = record_options(fn)
    fn = click.option("--seed", type=opt.SEED, default=0, show_default=True)(fn)
    fn = click.option("--time-limit", type=opt.SECONDS, default=TERM_LIMIT, show_default=True,
                      help="CPU seconds for the whole command as for plan: within 1.5 x "
                      "limit + 2 s from its start to its last file (reading, the record, "
                      "the search, the hand-outs); the search gets what the rest leaves, "
                      "as deterministic budgets (the CPU clock ends it by "
                      f"{backstop_text()} at the latest).")(fn)
    return click.option("--out", "out", type=click.Path(file_okay=False), default=None,
                        help="Another folder to write the term's files into as well "
                        "(default: the term folder only; needed for a plan.json made "
                        "without a record).")(fn)


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(fn)


def _verbose() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and (ctx.find_root().params or {}).get("verbose"))


def _verbose_log():
    """Solver progress lines on stderr with -v; nothing otherwise."""
    return (lambda line: click.echo(line, err=True)) if _verbose() else None


class _ProgressLine:
    """One stderr line rewritten in place on a terminal: the CPU seconds used against the
    limit in the school's language; with -v the solver's phase, best and bound too (and on a
    pipe, plain lines); otherwise nothing."""

    def __init__(self, deadline, limit: float, lang: str | None = None):
        self.deadline, self.limit, self.width, self.lang = deadline, limit, 0, lang
        self.tty = sys.stderr.isatty()
        self.on = self.tty or _verbose()
        self.detail = _verbose()
        self.last, self.said = ("", None, None), ""

    def __call__(self, phase: str, best=None, bound=None) -> None:
        if not self.on or (phase, best, bound) == self.last:
            return
        self.last = (phase, best, bound)
        if self.detail:
            text = f"{phase}: {self.deadline.elapsed():.1f}s of {self.limit:g}s CPU"
            if best is not None:
                text += f", best {best:.0f}" + (f", bound {bound:.0f}" if bound is not None
                                                else "")
        else:  # a clerk's terminal: the time, in the school's language
            text = say("plan_progress", self.lang, used=f"{self.deadline.elapsed():.1f}",
                       limit=f"{self.limit:g}")
            if text == self.said:
                return
        self.said = text
        if self.tty:
            sys.stderr.write("\r" + text.ljust(self.width))
            self.width = len(text)
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.on and self.tty and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()


def _progress_line(deadline, limit: float, lang: str | None = None) -> _ProgressLine:
    return _ProgressLine(deadline, limit, lang)


def _promise_missed(deadline, limit: float, lang: str, after: float = 0.0,
                    outside: float = 0.0) -> str | None:
    """The summary's line when the command took more CPU than its limit promises (a school
    too large for reading, a first plan and the hand-outs within it), with the limit that
    would keep the promise; None when kept. ``outside``: the process's CPU the deadline does
    not see (``reserve.outside``: start-up before it, the exit after)."""
    from afterschool.scheduler.planning.reserve import kept, limit_for, promise
    used = deadline.elapsed() + outside
    if kept(limit, used):
        return None
    # plan's grouping grows with the limit (limit_for's model, given the writes ``after``);
    # a term command's search stays at its floor where the promise is missed: the limit
    # covering what it took
    need = limit_for(used, limit, after) if after else limit_for(used)
    return say("office.promise", lang, used=f"{math.ceil(used * 10) / 10:.1f}",
               promise=f"{promise(limit):g}",
               limit=f"{limit:g}", need=need)


_clock = time.process_time  # CPU clock of a command before its deadline (a test counts calls)


def _term_deadline(time_limit: float, t0: float):
    """The deadline of a term command (replan, substitute, clubs) from ``t0``, its first
    line: its own imports, reading, the record, the search and every file count
    (``reserve.searching`` gives the search what the rest leaves)."""
    from afterschool.scheduler.planning.cpsat import Deadline
    deadline = Deadline.for_limit(time_limit, _clock)
    deadline.start = t0
    return deadline


def _load(path: str):
    from afterschool.scheduler.reading.reader import read_instance
    inst = read_instance(path)
    click.get_current_context().meta["lang"] = inst.school.language
    from afterschool.scheduler.say_errors import problem_text
    for w in inst.warnings:
        click.echo(say("problem_frame.warning", inst.school.language,
                       w=problem_text(w, inst.school.language)), err=True)
    return inst


# the commands in the order a term uses them (afterschool --help)
WORKFLOW = ["init", "generate", "validate", "need", "admit", "scenario", "plan", "substitute",
            "replan", "clubs", "who", "history", "export", "attendance", "cancel", "payments", "settle",
            "bureau", "check", "fees", "pay", "budget", "roster", "report", "notice", "chart",
            "serve", "user", "staffing"]


class _SaidUsageError(click.UsageError):
    """A usage error (a bad or missing option, argument or command), said before any file
    is read: in the language the command line points to (``reading.language``: --lang, the
    school folder, the term folder), or Chinese first and then Click's own words when it
    points to none."""

    def __init__(self, err: click.UsageError, lang: str | None):
        super().__init__(err.message, err.ctx)
        self.exit_code = err.exit_code
        self.said, self.lang = err, lang

    def show(self, file=None) -> None:
        from afterschool.scheduler.say_errors import message
        if self.lang == "en":
            self.said.show(file)
            return
        click.echo(say("problem_frame.error", "zh", e=message(self.said.format_message(), "zh")),
                   err=True)
        if self.lang == "zh":
            ctx = self.said.ctx
            group = ctx is None or isinstance(ctx.command, click.Group)
            click.echo(say("problem_frame.commands_help" if group else "problem_frame.usage_help",
                           "zh", command=" ".join(["afterschool", *(
                               ctx.command_path.split()[1:] if ctx else [])])), err=True)
        else:
            self.said.show(file)


class _Workflow(click.Group):
    def list_commands(self, ctx):
        known = super().list_commands(ctx)
        return [c for c in WORKFLOW if c in known] + [c for c in known if c not in WORKFLOW]

    def parse_args(self, ctx, args):
        ctx.meta["words"] = list(args)  # the command line, for a usage error's language
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _SaidUsageError:
            raise
        except click.UsageError as err:
            from afterschool.scheduler.reading.language import language_named
            raise _SaidUsageError(err, language_named(ctx.meta.get("words", []))) from None


@click.group(cls=_Workflow, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks for bug reports.")
@click.version_option(package_name="afterschool")
def main(verbose: bool) -> None:
    """Plan a primary school's after-school service (课后延时服务).

    \b
    First run:   afterschool plan haijiang --out plan-out
    Your school: afterschool init my-school; edit the files; afterschool validate my-school
    """


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en",
              help="Language of the column headers (zh: 学号, 姓名, …).")
@click.option("--force", is_flag=True, help="Write into a non-empty folder.")
@handles_errors
def init(folder: str, lang: str, force: bool) -> None:
    """Write a commented template instance into FOLDER for a school to fill in.

    Example: afterschool init my-school --lang zh
    """
    from afterschool.scheduler.reading.template import write_template
    for p in write_template(folder, lang, force):
        click.echo(say("wrote", lang, path=p))
    click.echo(say("init_next", lang, folder=folder))


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--students", "n_students", type=click.IntRange(1, 100_000), default=800,
              show_default=True, help="Sign-up rows to write.")
@click.option("--classes", "n_classes", type=click.IntRange(1, 2000), default=None,
              help="Homeroom classes (default: enough for classes of 40–50).")
@click.option("--teachers", "n_teachers", type=click.IntRange(1, 20_000), default=None,
              help="Staff members (default: about one per 20 students).")
@click.option("--seed", type=opt.SEED, default=1, show_default=True)
@click.option("--name", default="示例小学", show_default=True, help="School name.")
@click.option("--clubs", "n_clubs", type=click.IntRange(0, 200), default=0, show_default=True,
              help="Clubs to write (clubs.csv), with --choosing pupils' choices.")
@click.option("--choosing", "n_choosing", type=click.IntRange(0, 100_000), default=0,
              show_default=True, help="Pupils who choose clubs (club_choices.csv).")
@click.option("--force", is_flag=True,
              help="Overwrite the instance files of a non-empty FOLDER.")
@click.option("--venues", is_flag=True,
              help="Also write rooms.csv (each class's homeroom), a playground for 4 groups, "
              "a gym for 2, a library and two activities.")
@handles_errors
def generate(folder: str, n_students: int, n_classes: int | None, n_teachers: int | None,
             seed: int, name: str, n_clubs: int, n_choosing: int, force: bool,
             venues: bool) -> None:
    """Write a realistic synthetic school into FOLDER (same seed, same bytes).

    A non-empty FOLDER (an existing school?) is refused unless --force.

    Example: afterschool generate big-school --students 3000 --teachers 150 --seed 7
    """
    from afterschool.scheduler.reading.generate import generate_school, write_school
    files = generate_school(n_students, n_classes, n_teachers, seed, name, venues=venues)
    if n_clubs:
        from afterschool.scheduler.clubs.generate import generate_clubs
        files |= generate_clubs(files["students.csv"], files["teachers.csv"], n_clubs,
                                n_choosing, seed, files["school.toml"])
    for p in write_school(folder, files, force):
        click.echo(say("wrote", "zh", path=p))  # a generated school is a Chinese one


@main.command()
@click.argument("instance", type=click.Path())
@json_option
@handles_errors
def validate(instance: str, as_json: bool) -> None:
    """Check INSTANCE (folder or .xlsx) and summarise demand against volunteers.

    Exit code 2 with the list of problems when the input is bad.
    Example: afterschool validate haijiang
    """
    from afterschool.scheduler.reading.summary import headline, manager_table, summary_table
    inst = _load(instance)
    table, managers = summary_table(inst), manager_table(inst)
    if as_json:
        click.echo(json.dumps({"headline": headline(inst),
                               "sessions": table.to_dict(orient="records"),
                               "managers": managers.to_dict(orient="records"),
                               "warnings": [str(w) for w in inst.warnings]},
                              ensure_ascii=False, indent=2))
        return
    from afterschool.scheduler.reading.summary import printed
    click.echo(printed(inst, inst.school.language))


@main.command()
@click.argument("instance", type=click.Path())
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Folder for plan.json (created; reused if written by afterschool).")
@click.option("--time-limit", type=opt.SECONDS, default=7.0, show_default=True,
              help="Search budget in CPU seconds, converted to deterministic budgets, so "
              "the same seed gives the same plan; the whole command (reading, planning, "
              "the record and the hand-outs) keeps within 1.5 x limit + 2 s: the CPU clock "
              f"ends the searches by {backstop_text()} at the latest, earlier where a large "
              "school's hand-outs need the time (the summary says when a school is too "
              "large for that, and which limit keeps it).")
@click.option("--seed", type=opt.SEED, default=0, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Search workers; >1 uses CP-SAT's deterministic interleaved search.")
@click.option("--group-days-slack", type=click.IntRange(0, 50), default=0, show_default=True,
              help="Per session, accept up to this many extra group-days (paid teacher "
              "sessions a week) when that keeps classes together better.")
@click.option("--group-days-tolerance", type=opt.PERCENT, default=1.0,
              show_default=True,
              help="Percent of the group-days bound that may be spent, all sessions "
              "together, to keep classes together (0: fewest group-days found, always).")
@click.option("--record", "record_url", default=None, metavar="URL",
              help="Keep the term's record there instead of OUT/record.sqlite: "
              "postgresql://USER@HOST/DB (a district's server) or sqlite:///PATH.")
@click.option("--new-record", is_flag=True,
              help="Start a new record although OUT's holds re-plans or absences (the old "
              "record is kept beside it under a dated name).")
@record_options
@output_set_options
@json_option
@handles_errors
def plan(instance: str, out: str, time_limit: float, seed: int, workers: int, force: bool,
         group_days_slack: int, group_days_tolerance: float, skip: tuple[str, ...],
         lang: str | None, as_json: bool, record_url: str | None, new_record: bool,
         by: str | None) -> None:
    """Plan the term: groups, teachers per slot, managers; write OUT/plan.json.

    \b
    The time limit is CPU seconds for reading and planning together, spent as
    deterministic budgets: the same input and seed give the same plan unless the summary
    says the limit cut a stage short. The best plan found (or at Ctrl-C) is written.

    \b
    OUT becomes the term folder: the term's record (OUT/record.sqlite) and its export
    (plan.json and the hand-outs). A folder whose record holds more than its first plan
    is refused unless --new-record.

    \b
    Exit codes: 0 complete plan; 3 plan written with shortages (listed);
    2 bad input; 4 not even a grouping exists (the message says why);
    5 the record is busy (another command holds it).
    Example: afterschool plan haijiang --out plan-out
    """
    started = _clock()  # the libraries' loading: outside the budgets, inside the promise
    from afterschool.scheduler.handouts.bundle import check_out_dir, write_plan_folder
    from afterschool.scheduler.handouts.summary import office_summary, plan_summary
    from afterschool.scheduler.planning.cpsat import Deadline
    from afterschool.scheduler.planning.solve import NoPlan, solve
    from afterschool.scheduler.reading.reader import resolve
    from afterschool.scheduler.planning.reserve import after_solve, outside
    from afterschool.scheduler.record import term as T
    if not {"charts", "all"} & set(skip):  # matplotlib with the other imports, as before
        from afterschool.scheduler.handouts import charts  # noqa: F401
    loaded = _clock() - started
    deadline = Deadline.for_limit(time_limit)  # reading counts against the limit too
    author = _author(by)
    inst = _load(instance)
    out_dir = Path(out)
    check_out_dir(out_dir, resolve(instance), force)
    key = T.school_key(inst)
    url = T.plan_guard(out_dir, record_url, key, new_record, author)
    progress = _progress_line(deadline, time_limit, lang or inst.school.language)
    after = after_solve(inst, set(skip))  # what the record and the hand-outs will need
    try:
        result = solve(inst, time_limit=time_limit, seed=seed, workers=workers,
                       log=_verbose_log(), group_days_slack=group_days_slack,
                       group_days_tolerance=group_days_tolerance / 100,
                       deadline=deadline, progress=progress, after=after)
    except NoPlan as err:
        progress.close()
        click.echo(say("problem_frame.no_plan", _err_lang(), e=err), err=True)
        sys.exit(EXIT_NO_SOLUTION)
    progress.close()
    exports, warnings = write_plan_folder(
        None, out_dir, lang, set(skip),
        record=lambda folder: T.record_first_plan(url, folder, key, inst, result, author),
        pointer=T.display_url(record_url) if record_url else None)
    for w in warnings:
        _warn(w)
    late = _promise_missed(deadline, time_limit, lang or inst.school.language, after,
                           outside=outside(inst) + loaded)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        if late:
            _warn(late)
    else:
        school_lang = lang or inst.school.language
        click.echo(office_summary(result, school_lang))
        if late:
            click.echo("  " + late)
        if _verbose():
            click.echo(plan_summary(result))
        from afterschool.scheduler.handouts.bundle import written_kinds
        click.echo(say("wrote_plan", school_lang, path=out_dir / "plan.json", n=len(exports),
                       kinds=written_kinds(exports, school_lang)) if exports
                   else say("wrote_plan_only", school_lang, path=out_dir / "plan.json"))
    sys.exit(EXIT_SHORTAGE if result.shortages else 0)


@main.command()
@click.argument("args", nargs=-1, required=True, metavar="[INSTANCE] TERM")
@json_option
@handles_errors
def check(args: tuple[str, ...], as_json: bool) -> None:
    """Recompute every rule, the staffing table, fees and pay of the term's plan (every
    version on its own dates, each against the sheets it was made from when the record
    holds them); exit 1 on violations. TERM: a term folder, a record URL or a plan.json;
    INSTANCE: the sheets to check against (default: the latest the record holds).

    Example: afterschool check plan-out
    """
    from afterschool.scheduler.check_clubs import check_term_plan
    if len(args) > 2:
        raise click.UsageError("give TERM, or INSTANCE and TERM")
    the_plan, term, versions = _read_term_plan(args[-1])
    if len(args) == 2:
        inst = _load(args[0])
    elif term is not None:
        inst = term.latest_instance()
    else:
        raise click.UsageError("a plan.json made without a record needs INSTANCE first")
    found = check_term_plan(inst, the_plan, version_instances=versions)
    if term is not None:
        from afterschool.scheduler.check_settlement import check_settlement
        from afterschool.scheduler.money.settlement import settle as settle_term
        from afterschool.scheduler.record import term as T
        with term.record.read() as r:
            facts = T.facts(r, term.term_id)
        found += check_settlement(inst, the_plan, facts, settle_term(inst, the_plan, facts))
    if as_json:
        click.echo(json.dumps([{"rule": v.rule, "message": v.message} for v in found],
                              ensure_ascii=False, indent=1))
    else:
        from afterschool.scheduler.say_errors import violation_text
        lang = the_plan.extra.get("language", "zh")
        for v in found:  # v.rule is the machine code (--json); the words in the plan's language
            click.echo(violation_text(v, lang))
        open_dates = sum(1 for x in the_plan.exceptions if not x.get("staff"))
        click.echo(say("check_bad", lang, n=len(found)) if found else
                   say("check_ok", lang, short=sum(s.count for s in the_plan.shortages),
                       open=open_dates))
    sys.exit(1 if found else 0)


def _not_an_input(option: str, out: Path, plan_arg: str) -> None:
    """A command never writes over a file it reads: the plan, its record, its folder."""
    from afterschool.scheduler.record import term as T
    ref = T.locate(plan_arg)
    reads = [Path(plan_arg)]
    if ref.plan_file is not None:
        reads.append(ref.plan_file)
    if ref.folder is not None:
        reads += [ref.folder / "plan.json", T.folder_record(ref.folder)]
    if ref.url is not None and not ref.url.startswith(T.URL_PREFIXES):
        reads.append(Path(ref.url))
    target = out.resolve()
    for f in reads:
        if f.resolve() == target or (f.is_dir() and f.resolve() == target):
            raise InputError([Problem(option, f"{out} is what this command reads; it never "
                                      "writes over its input", expected="another file")])


def _read_term_plan(arg: str, versions: bool = True):
    """(plan, term or None, per-version instances or None) of what PLAN/TERM names: a term
    folder's or record's current plan, or a plan.json (a copy made by ``export`` included:
    it is a snapshot of its date, read as a file). ``versions``: also read the sheets each
    plan version was made from (what ``check`` needs; not cheap)."""
    from afterschool.scheduler.reading.plan_file import read_plan
    from afterschool.scheduler.record import term as T
    ref = T.locate(arg)
    if not ref.has_record or ref.copy is not None:
        return read_plan(arg), None, None
    term = T.open_term(ref)
    with term.record.read() as r:
        plan = term.current(r)
        return plan, term, term.version_instances(r, plan) if versions else None


def _read_plan(plan_file: str):
    """The plan PLAN names (see ``_read_term_plan``)."""
    return _read_term_plan(plan_file, versions=False)[0]


def _emit(sheets, name: str, out: str | None, as_json: bool, data,
          lang: str | None = None) -> None:
    """--json: print data; --out: write NAME.csv and NAME.xlsx; else print the first sheet.
    ``lang``: headers in that language (the school's)."""
    from afterschool.scheduler.handouts.labels import words
    from afterschool.scheduler.handouts.sheets import sheet_csv, write_tables
    w = words(lang) if lang else None
    total = w["total"] if w else "total"
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
    elif out:
        for p in write_tables(Path(out), name, sheets, header_words=w, total_label=total):
            click.echo(say("wrote", lang, path=p))
    else:
        click.echo(sheet_csv(sheets[0], w, total), nl=False)


out_option = click.option("--out", type=click.Path(file_okay=False), default=None,
                          help="Folder for NAME.csv and NAME.xlsx (default: print).")


@main.command()
@click.argument("instance", type=click.Path())
@out_option
@json_option
@handles_errors
def fees(instance: str, out: str | None, as_json: bool) -> None:
    """Term fee of every enrolled student (SPEC §5), with totals per class, grade, session.

    Fees depend only on the sign-ups: 2 yuan an hour over the term's service dates, exempt
    pay nothing, reduced pay the listed percentage or amount less; lunch is apart.
    Example: afterschool fees haijiang --out fees-out
    """
    from afterschool.scheduler.money.tables import fee_report
    inst = _load(instance)
    sheets, data = fee_report(inst)
    from afterschool.scheduler.handouts.display import localise
    lang = inst.school.language
    _emit(localise(sheets, lang, names={x.id: x.name for x in inst.school.sessions}), "fees",
          out, as_json, data, lang)

@main.command()
@click.argument("plan_file", metavar="PLAN")
@out_option
@json_option
@handles_errors
def pay(plan_file: str, out: str | None, as_json: bool) -> None:
    """Term pay of every person on duty in PLAN (劳务费, outside the performance-pay total).

    Example: afterschool pay plan-out/plan.json --out pay-out
    """
    from afterschool.scheduler.money.tables import pay_report
    p = _read_plan(plan_file)
    sheets, data = pay_report(p)
    from afterschool.scheduler.handouts.display import localise
    lang = p.extra.get("language", "zh")
    _emit(localise(sheets, lang, p), "pay", out, as_json, data, lang)

@main.command()
@click.argument("plan_file", metavar="PLAN")
@out_option
@json_option
@handles_errors
def budget(plan_file: str, out: str | None, as_json: bool) -> None:
    """Fee income, exemptions, pay and balance per session and in total (专款专用), and the
    staffing table: standard teachers T(n) against the groups the 45 cap needs.

    Example: afterschool budget plan-out/plan.json
    """
    from afterschool.scheduler.money.tables import budget_report
    p = _read_plan(plan_file)
    sheets, data = budget_report(p)
    from afterschool.scheduler.handouts.display import localise
    lang = p.extra.get("language", "zh")
    _emit(localise(sheets, lang, p), "budget", out, as_json, data, lang)


lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
                           help="Language of headers and labels (default: the school's).")


@main.command()
@click.argument("plan_file", metavar="PLAN")
@click.option("--teacher", "staff", default=None,
              help="One person: an id (any case) or a unique full name.")
@click.option("--all", "everyone", is_flag=True, help="Everyone on duty.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "ics"]), default="xlsx",
              show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default="rosters", show_default=True)
@click.option("--alarm", type=click.IntRange(0, 1440), default=15, show_default=True,
              help="Calendar reminder this many minutes before each duty (0: none).")
@lang_option
@handles_errors
def roster(plan_file: str, staff: str | None, everyone: bool, fmt: str, out: str,
           alarm: int, lang: str | None) -> None:
    """Teacher rosters: a table, or a phone calendar (.ics): one weekly event per continuous
    duty over the term (holidays and substitutions excluded, make-up days added, removed
    duties cancelled, Asia/Shanghai time, a reminder before each).

    Example: afterschool roster plan-out --teacher T012 --format ics
    """
    from afterschool.scheduler.handouts.bundle import write_rosters
    p = _read_plan(plan_file)
    if (staff is None) == (not everyone):
        raise click.UsageError("give --teacher ID or --all")
    # everyone with a duty in any plan version or a substitution: a person whose duties a
    # re-plan removed still needs the calendar that cancels them
    from afterschool.scheduler.clubs.meetings import instructors
    on_duty = sorted({d.staff for v in p.versions() for d in v.duties}
                     | {e["staff"] for e in p.exceptions if e.get("staff")} | instructors(p))
    if fmt == "ics":  # and whoever a re-plan dropped a substitution of: it is cancelled
        from afterschool.scheduler.handouts.ics import calendar_people
        on_duty = calendar_people(p)
    if staff is not None:  # an id in any case, or a unique full name
        names = p.extra.get("people", {}).get("staff", {})
        staff = opt.person_id(staff, {i: names.get(i, {}).get("name") for i in on_duty},
                              what="the people on duty in this plan", among=True)
    for x in write_rosters(p, on_duty if everyone else [staff], fmt, Path(out),
                           lang or p.extra.get("language", "zh"),
                           f"roster-{staff}" if staff else "rosters", alarm):
        click.echo(say("wrote", lang or p.extra.get("language", "zh"), path=x))


@main.command()
@click.argument("plan_file", metavar="PLAN")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default="report.html",
              show_default=True, help="The HTML file to write.")
@lang_option
@handles_errors
def report(plan_file: str, out_file: str, lang: str | None) -> None:
    """One self-contained page (report.html) to open in a browser and print on A4: summary,
    staffing against the standard, groups, the duty grid per day, each teacher's week,
    money, shortages and the parents' notice per class. No network needed.

    Example: afterschool report plan-out --out report.html
    """
    from afterschool.scheduler.handouts.output import write_text
    from afterschool.scheduler.handouts.report import report_html
    _not_an_input("--out", Path(out_file), plan_file)
    p = _read_plan(plan_file)
    lang = lang or p.extra.get("language", "zh")
    path = write_text(Path(out_file), report_html(p, lang))
    click.echo(say("wrote", lang, path=path))

@main.command()
@click.argument("plan_file", metavar="PLAN")
@click.option("--kind", type=click.Choice(["students", "duties"]), default="students",
              show_default=True, help="Group list (names masked) or teacher duties.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for notice-KIND.csv and .xlsx (default: print).")
@lang_option
@handles_errors
def notice(plan_file: str, kind: str, out: str | None, lang: str | None) -> None:
    """Public notice (公示): groups with masked names (张*明), class, days and times — no ids,
    no priority or fee category; or the teacher-duty list with full names.

    Example: afterschool notice plan-out --out notice
    """
    from afterschool.scheduler.handouts.bundle import notice_sheets
    p = _read_plan(plan_file)
    lang = lang or p.extra.get("language", "zh")
    _emit(notice_sheets(p, kind, lang), f"notice-{kind}", out, False, None, lang)

@main.command()
@click.argument("plan_file", metavar="PLAN")
@click.option("--kind", type=click.Choice(["gantt", "load", "staffing", "sizes"]),
              default="gantt", show_default=True)
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="Image file; .png (default), .svg or .pdf.")
@lang_option
@handles_errors
def chart(plan_file: str, kind: str, out_file: str | None, lang: str | None) -> None:
    """Charts of the schedule: the week as a Gantt per day (shortages in red), teacher load
    against the weekly limit, T(n) beside the groups formed, group sizes against the cap.

    Example: afterschool chart plan-out --kind load --out load.svg
    """
    from afterschool.scheduler.handouts import charts
    from afterschool.scheduler.handouts.bundle import save_chart
    path = Path(out_file or f"chart-{kind}.png")
    _not_an_input("--out", path, plan_file)
    p = _read_plan(plan_file)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise click.UsageError("--out must end in .png, .svg or .pdf")
    fig, bars, warning = charts.draw(p, kind, lang or p.extra.get("language", "zh"))
    if warning:
        _warn(warning, lang or p.extra.get("language", "zh"))
    save_chart(fig, path)
    click.echo(say("wrote_chart", lang or p.extra.get("language", "zh"), path=path, n=bars))


@main.command()
@click.argument("instances", nargs=-1, required=True, type=click.Path())
@click.option("--students", "students", type=opt.STUDENT_CHANGES, default="",
              help="Extra sign-ups, e.g. +10%,+25% (each +1% to +300%).")
@click.option("--teachers", "teachers", type=opt.TEACHER_CHANGES, default="",
              help="Volunteers withdrawn, e.g. -3 (people) or -10% (below -100%).")
@click.option("--cap", "cap", type=opt.whole_list("cap"), default="",
              help="Group caps, e.g. 40,45,50 (1 to 1,000).")
@click.option("--remainder-threshold", type=opt.whole_list("remainder_threshold"), default="",
              help="T(n) remainder thresholds to try (0 to 1,000).")
@click.option("--manager-threshold", type=opt.whole_list("manager_remainder_threshold"),
              default="", help="M(c) remainder thresholds to try (0 to 1,000).")
@click.option("--days", "days", type=opt.DAYS, default=None,
              help="Weekdays served, e.g. 'Tue Wed Thu'.")
@click.option("--venue-groups", "venue_groups", type=opt.VENUE_GROUPS, default="",
              help="Groups a venue holds at once, one scenario each: PG=2,PG=4 (SPEC §12).")
@click.option("--rain", "rain", type=opt.DAYS, default=None,
              help="Rainy weekdays, e.g. 'Tue Thu': outdoor activities moved indoors "
              "(venues); does every group still fit?")
@click.option("--file", "scenario_file", type=click.Path(exists=True, dir_okay=False),
              default=None, help="TOML file of named [[scenario]] tables with the keys name, "
              "students, teachers, cap, students_per_teacher, remainder_threshold, "
              "groups_per_manager, manager_remainder_threshold, days, seed (same ranges; "
              "at most 1 MB).")
@click.option("--time-limit", type=opt.SECONDS, default=4.0, show_default=True,
              help="Seconds per scenario (0.1 to 86,400).")
@click.option("--seed", type=opt.SEED, default=0, show_default=True)
@click.option("--jobs", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Local worker processes.")
@click.option("--scheduler", "scheduler_address", default=None,
              help='Run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (pip install ".[dask]").')
@out_option
@json_option
@handles_errors
def scenario(instances, students, teachers, cap, remainder_threshold, manager_threshold, days,
             venue_groups, rain, scenario_file, time_limit, seed, jobs, scheduler_address, out,
             as_json) -> None:
    """What-if staffing scenarios; one comparison table (and chart with --out).

    Variations combine: every value of every option with every other, after the baseline.
    Several INSTANCES run as one batch (a city's schools). At most 200 scenarios a run
    (baseline, combinations and the file's tables) and 20 values an option; every value is
    checked before the baseline runs.
    Example: afterschool scenario haijiang --students +10%,+25% --teachers -3 --jobs 2
    """
    from afterschool.scheduler.planning.scenarios import (ClusterLost, Scenario,
                                                          check_venue_ids, combine,
                                                          read_scenario_file, sweep)
    if rain:
        return _rain(instances, rain, time_limit, seed, as_json)
    if scheduler_address:
        opt.need_dask(scheduler_address)
    base = Scenario(seed=seed) if days is None else Scenario(seed=seed, days=days)
    scenarios = combine(base, students=students, teachers=teachers, cap=cap,
                        remainder_threshold=remainder_threshold,
                        manager_remainder_threshold=manager_threshold,
                        venue_groups=venue_groups)
    opt.check_count(len(scenarios))
    if scenario_file:
        scenarios += read_scenario_file(scenario_file, seed)
    opt.check_count(len(scenarios))
    insts = [_load(i) for i in instances]
    check_venue_ids(insts, scenarios, "--venue-groups" if venue_groups else "--file")
    tasks = [(inst, sc, time_limit) for inst in insts for sc in scenarios]
    label = say("scenario_progress", insts[0].school.language if insts else None)
    with click.progressbar(length=len(tasks), label=label, file=sys.stderr) as bar:
        done = [0]

        def progress(n):
            bar.update(n - done[0])
            done[0] = n

        try:
            rows = sweep(tasks, jobs=jobs, scheduler=scheduler_address, progress=progress)
        except ClusterLost as err:
            raise click.ClickException(str(err)) from None
    cols = ["instance", "scenario", "status", "students", "groups", "group_days",
            "standard_teachers", "managers", "shortages", "fee_income", "pay", "balance",
            "time_limit", "solve_s", "shortages_by_day"]
    if any("activity_missing" in r for r in rows):  # SPEC §12: with venues
        cols[-3:-3] = ["in_homeroom", "no_room", "activity_missing"]
    from afterschool.scheduler.handouts.display import localise_scenarios
    lang = insts[0].school.language
    shown = localise_scenarios(rows, lang)
    _emit([("情景" if lang == "zh" else "scenarios", shown, cols, [])], "scenarios", out,
          as_json, rows, lang)
    if out and not as_json:
        from afterschool.scheduler.handouts.bundle import save_chart
        from afterschool.scheduler.handouts.charts import scenario_chart
        path = save_chart(scenario_chart(shown, lang), Path(out) / "scenarios.png")
        click.echo(say("wrote", lang, path=path))


def _rain(instances, days, time_limit: float, seed: int, as_json: bool) -> None:
    """``scenario --rain``: per instance and rainy day, what moves indoors and what does not."""
    from afterschool.scheduler.handouts.labels import day_name, group_label
    from afterschool.scheduler.planning.scenarios import rain
    from afterschool.scheduler.planning.solve import solve
    from afterschool.models.school import WEEKDAYS
    bad = [d for d in days if d not in WEEKDAYS]
    if bad or not days:
        raise click.BadParameter(f"{' '.join(bad)}: a school weekday, Mon … Fri",
                                 param_hint="--rain")
    for path in instances:
        inst = _load(path)
        lang = inst.school.language
        plan_obj = solve(inst, time_limit=time_limit, seed=seed)
        rows = rain(inst, days, plan=plan_obj)
        if as_json:
            click.echo(json.dumps({"instance": inst.school.name, "rain": rows},
                                  ensure_ascii=False, indent=1))
            continue
        names = {a.id: a.name for a in inst.school.activities}
        if not any(r["outdoor"] for r in rows):
            click.echo(say("rain_none", lang))
            continue
        for r in rows:
            click.echo(say("rain_day", lang, day=day_name(r["day"], lang),
                           outdoor=r["outdoor"], moved=r["moved"]))
            if not r["unplaced"]:
                click.echo(say("rain_all_fit", lang))
            for u in r["unplaced"]:
                click.echo(say("rain_stays", lang, activity=names.get(u["activity"], ""),
                               group=group_label(plan_obj, u["group"], lang, u["session"])))


@main.command()
@click.argument("instance", type=click.Path())
@click.option("--time-limit", type=opt.SECONDS, default=8.0, show_default=True)
@click.option("--seed", type=opt.SEED, default=0, show_default=True)
@json_option
@handles_errors
def need(instance: str, time_limit: float, seed: int, as_json: bool) -> None:
    """The fewest extra volunteers (then fewest minutes) that would turn every shortage into a
    complete plan, with the times each must cover.

    Example: afterschool need haijiang
    """
    from afterschool.scheduler.handouts.labels import day_name, session_label, window_label
    from afterschool.scheduler.planning.scenarios import need as find, recruit_by_session
    inst = _load(instance)
    advice, plan_obj = find(inst, time_limit=time_limit, seed=seed)
    rows = recruit_by_session(plan_obj)
    if as_json:
        click.echo(json.dumps({"extra_volunteers": advice, "by_session": rows,
                               "complete": not plan_obj.shortages},
                              ensure_ascii=False, indent=1))
        return
    lang = inst.school.language
    if not advice and not plan_obj.shortages:
        click.echo(say("need_none", lang))
        return
    click.echo(say("need_head" if not plan_obj.shortages else "need_head_partial", lang,
                   n=len(advice)))
    for r in rows:
        where = (session_label(plan_obj, r["session"], lang) if r["session"] else
                 say("need_managers", lang, window=window_label(r["window"], lang)))
        click.echo("  " + say("need_row", lang, day=day_name(r["day"], lang), where=where,
                              n=r["people"]))
    click.echo(say("need_detail", lang))
    for a in advice:
        spans = [say("need_span", lang, day=day_name(x["day"], lang), start=x["start"],
                     end=x["end"]) + (say("need_as_manager", lang) if x["role"] == "manager"
                                      else "") for x in a["spans"]]
        click.echo("  - " + say("need_person", lang, windows=say("list_sep", lang).join(spans),
                                minutes=a["minutes"]))


@main.command()
@click.argument("instance", type=click.Path())
@click.option("--time-limit", type=opt.SECONDS, default=4.0, show_default=True)
@click.option("--seed", type=opt.SEED, default=0, show_default=True)
@out_option
@json_option
@handles_errors
def admit(instance: str, time_limit: float, seed: int, out: str | None, as_json: bool) -> None:
    """Which 'applied' students today's volunteers can take: priority children first
    (disabled, left-behind, migrant workers', staff's), then by application date; the rest
    wait. Each with a reason.

    Example: afterschool admit haijiang --out admission
    """
    from afterschool.scheduler.money.tables import admission_report
    from afterschool.scheduler.planning.scenarios import admit as choose
    inst = _load(instance)
    sheets = admission_report(inst, choose(inst, time_limit=time_limit, seed=seed))
    from afterschool.scheduler.handouts.display import localise
    data = [{k: v for k, v in r.items() if k != "why"} for r in sheets[0][1]]
    _emit(localise(sheets, inst.school.language), "admission", out, as_json, data,
          inst.school.language)


@main.command()
@click.option("--students", "n", type=opt.COUNT, default=None,
              help="Students in a session on a day: print T(n).")
@click.option("--groups", "c", type=opt.COUNT, default=None,
              help="Groups on duty at once: print M(c).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="Language of the answer (default: zh).")
@json_option
@handles_errors
def staffing(n: int | None, c: int | None, lang: str | None, as_json: bool) -> None:
    """Standard teachers T(n) for n students, or managers M(c) for c groups (SPEC §4).

    Example: afterschool staffing --students 76   ->  2
    """
    from afterschool.scheduler.rules.staffing import managers_needed, standard_teachers
    lang = lang or "zh"
    click.get_current_context().meta["lang"] = lang
    if (n is None) == (c is None):
        raise InputError([Problem("--students/--groups", say("staffing_one_of", lang))])
    if n is not None:
        out = {"students": n, "standard_teachers": standard_teachers(n)}
        text = say("staffing_teachers", lang, n=n, t=out["standard_teachers"])
    else:
        out = {"groups": c, "managers": managers_needed(c)}
        text = say("staffing_managers", lang, c=c, m=out["managers"])
    click.echo(json.dumps(out) if as_json else text)


def _care(inst, plan):
    """(sheets, plan) as a plan with clubs is planned against (SPEC §12: club members are in
    their club on club days, staff instructors busy then)."""
    from afterschool.scheduler.clubs.run import replan_instance
    return replan_instance(inst, plan), plan


@main.command()
@click.argument("instance", type=click.Path())
@click.argument("term_arg", metavar="TERM")
@click.option("--teacher", "absent", required=True,
              help="The absent person: an id (any case) or a unique full name.")
@click.option("--dates", required=True,
              help="Service dates of the absence, comma-separated: 2026-09-15,2026-09-16; "
              "D1..D2 for every service date between (a week: 2026-09-14..2026-09-18).")
@term_change_options
@handles_errors
def substitute(instance: str, term_arg: str, absent: str, dates: str, out: str | None,
               time_limit: float, seed: int, force: bool, skip: tuple[str, ...],
               lang: str | None, as_json: bool, by: str | None) -> None:
    """Cover an absence (代课): each duty of --teacher on --dates goes to another volunteer
    who is available then, free at that time, and within the daily and weekly limits
    (earlier substitutions counted); fewest people asked, then the fewest substitutions
    so far, then preferred times. The absence and its covers are appended to the term's
    record (TERM: the term folder or a record URL), and the term folder is written again:
    plan.json with the exceptions (pay follows them), cover.csv/cover.xlsx for the office,
    and the rosters. Two absences reported at once are both recorded, one after the other.

    \b
    Exit codes: 0 every duty covered; 3 some duty nobody can cover (a shortage on that
    date, with advice); 2 bad input (unknown person, a date that is not a service date,
    a plan of another school, nobody's duty on those dates); 5 record busy.
    Example: afterschool substitute haijiang plan-out --teacher T006
             --dates 2026-09-15,2026-09-16
    """
    t0 = _clock()  # the time promise counts from here
    from afterschool.scheduler.handouts.bundle import check_out_dir
    from afterschool.scheduler.handouts.cover import cover_summary, write_cover_folder
    from afterschool.scheduler.planning.reserve import (after_term, before_term, outside,
                                                        searching)
    from afterschool.scheduler.planning.substitute import substitute as cover
    from afterschool.scheduler.reading.reader import resolve
    from afterschool.scheduler.record import term as T
    deadline = _term_deadline(time_limit, t0)
    author = _author(by)
    inst = _load(instance)
    after, before = after_term(inst, "substitute", set(skip)), before_term(inst)
    ref = T.locate(term_arg)
    if out is not None:
        check_out_dir(Path(out), resolve(instance), force)
    if not ref.has_record:
        if out is None:
            raise InputError([Problem("--out", "a plan.json made without a record needs "
                                      "--out", expected="a folder for the updated plan")])
        search = searching(deadline, after, before=before)  # budgets from search.limit
        result = cover(*_care(inst, _read_plan(str(ref.plan_file))), absent,
                       dates.split(","), time_limit=search.limit, seed=seed, deadline=search)
        folders = {Path(out): {}}
    else:
        term = T.open_term(ref, T.school_key(inst), option="TERM")
        with term.record.write(author, "substitute", T.lock_key(term.key)) as w:
            search = searching(deadline, after, before=before)  # budgets from search.limit
            result = cover(*_care(inst, term.current(w)), absent, dates.split(","),
                           time_limit=search.limit, seed=seed, deadline=search)
            T.record_substitute(w, term, inst, result)
        folders = {f: T.export_args(term, f) for f in T.export_folders(term, out)}
    written = []
    for folder, how in folders.items():
        written, warnings = write_cover_folder(result, folder, lang, set(skip), **how)
    for w_ in warnings if folders else []:
        _warn(w_)
    late = _promise_missed(deadline, time_limit, _lang() or "zh", outside=outside(inst))
    if as_json:
        click.echo(json.dumps({"absent": result.absent, "dates": result.dates,
                               "exceptions": result.added, "asked": result.asked,
                               "advice": result.advice, "notes": result.notes},
                              ensure_ascii=False, indent=1))
        if late:
            _warn(late)
        sys.exit(EXIT_SHORTAGE if result.uncovered else 0)
    click.echo(cover_summary(result, _lang() or "zh"))
    if late:
        click.echo("  " + late)
    from afterschool.scheduler.handouts.bundle import written_kinds
    if ref.has_record:
        click.echo(say("recorded_in", _lang(), where=T.record_address(term)))
    for folder in folders:
        if _lang() == "en":
            click.echo(f"wrote {folder / 'plan.json'}, {folder / 'cover.xlsx'}, "
                       f"{folder / 'cover.csv'}" + (f" and {len(written) - 2} hand-out "
                                                    f"file(s): {written_kinds(written)}"
                                                    if len(written) > 2 else ""))
        else:
            click.echo(say("wrote_cover", "zh", path=folder / "plan.json",
                           cover=folder / "cover.xlsx", n=max(len(written) - 2, 0),
                           kinds=written_kinds(written, "zh") or "无"))
    sys.exit(EXIT_SHORTAGE if result.uncovered else 0)


@main.command()
@click.argument("instance", type=click.Path())
@click.option("--previous", "previous", required=True, metavar="TERM",
              help="The term: its folder or record URL (or a plan.json made without a "
              "record).")
@click.option("--from", "start", required=True, metavar="DATE",
              help="First service date of the new version (YYYY-MM-DD).")
@click.option("--pin", type=click.Choice(["none", "groups", "duties"]), default="none",
              show_default=True, help="Forbid moving continuing students (groups) or "
              "changing the duties of people still available (duties).")
@term_change_options
@handles_errors
def replan(instance: str, previous: str, start: str, out: str | None, pin: str,
           time_limit: float, seed: int, force: bool, skip: tuple[str, ...],
           lang: str | None, as_json: bool, by: str | None) -> None:
    """Re-plan from DATE after the sheets changed, keeping as much as the rules allow:
    fewest pupils moved, then fewest duties changed (SPEC §9). The new version is appended
    to the term's record and the term folder written again: plan.json (the earlier
    versions in 'history'), the hand-outs, changes.csv/.xlsx and one notice per affected
    teacher (changes-teachers.csv).

    \b
    Exit codes: 0 complete plan; 3 plan written with shortages; 2 bad input (a date
    that is not a later service date of the term, a plan of another school); 5 record
    busy.
    Example: afterschool replan haijiang --previous plan-out --from 2026-10-13
    """
    t0 = _clock()  # the time promise counts from here
    from datetime import date
    from afterschool.scheduler.handouts.bundle import check_out_dir
    from afterschool.scheduler.handouts.changes import (office_replan_summary, replan_summary,
                                                          write_replan_folder)
    from afterschool.scheduler.planning.replan import replan as re_plan
    from afterschool.scheduler.planning.reserve import (after_term, before_term, outside,
                                                        searching)
    from afterschool.scheduler.reading.reader import resolve
    from afterschool.scheduler.record import term as T
    deadline = _term_deadline(time_limit, t0)
    try:
        day = date.fromisoformat(start)
    except ValueError:
        raise InputError([Problem("--from", "not a date", value=start,
                                  expected="YYYY-MM-DD")]) from None
    author = _author(by)
    inst = _load(instance)
    ref = T.locate(previous)
    if out is not None:
        check_out_dir(Path(out), resolve(instance), force)

    after = after_term(inst, "replan", set(skip))  # the record and the folder

    def run(previous_plan):
        from afterschool.scheduler.clubs.presence import reservations
        from afterschool.scheduler.clubs.run import carry_clubs, replan_instance
        search = searching(deadline, after, before=before_term(inst))
        result = re_plan(replan_instance(inst, previous_plan), previous_plan, day, pin=pin,
                         time_limit=search.limit, seed=seed, deadline=search,
                         log=lambda line: click.echo(line, err=True),
                         reserved=reservations(previous_plan.extra.get("clubs")))
        carry_clubs(inst, previous_plan, result.plan)  # the term's club draw stays
        if result.plan.status in ("UNKNOWN", "INFEASIBLE"):
            click.echo(say("problem_frame.no_plan_in_time", _lang()), err=True)
            sys.exit(EXIT_NO_SOLUTION)
        return result

    if not ref.has_record:
        if out is None:
            raise InputError([Problem("--out", "a plan.json made without a record needs "
                                      "--out", expected="a folder for the new plan")])
        result = run(_read_plan(str(ref.plan_file)))
        folders = {Path(out): {}}
    else:
        term = T.open_term(ref, T.school_key(inst), option="--previous")
        with term.record.write(author, "replan", T.lock_key(term.key)) as w:
            result = run(term.current(w))
            T.record_replan(w, term, inst, result)
        folders = {f: T.export_args(term, f) for f in T.export_folders(term, out)}
    exports: list = []
    for folder, how in folders.items():
        exports, warnings = write_replan_folder(result, folder, lang, set(skip), **how)
        for w_ in warnings:
            _warn(w_)
    late = _promise_missed(deadline, time_limit, _lang() or "zh", outside=outside(inst))
    if as_json:
        click.echo(json.dumps(result.stats, ensure_ascii=False, indent=1))
        if late:
            _warn(late)
    else:
        click.echo(office_replan_summary(result, _lang() or "zh"))
        if late:
            click.echo("  " + late)
        if _verbose():
            click.echo(replan_summary(result, "en"))
        if ref.has_record:
            click.echo(say("recorded_in", _lang(), where=T.record_address(term)))
        for folder in folders:
            click.echo(say("wrote_changes", _lang(), path=folder / "plan.json",
                           n=max(len(exports) - 3, 0)))
    sys.exit(EXIT_SHORTAGE if result.plan.shortages else 0)


@main.command()
@click.argument("args", nargs=-1, required=True, metavar="[INSTANCE] TERM")
@click.option("--seed", type=opt.SEED, required=True,
              help="The published seed of the draw (announce it before drawing).")
@click.option("--from", "start", default=None, metavar="DATE",
              help="First date clubs meet (default: [clubs] start, else the term start).")
@click.option("--replan/--no-replan", "again", default=True, show_default=True,
              help="Make the care plan again from DATE around the clubs (members away from "
              "their care group on club days, instructors busy), or keep it as it is.")
@click.option("--time-limit", type=opt.SECONDS, default=CLUBS_LIMIT, show_default=True,
              help="CPU seconds for the whole command, as for replan.")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Another folder to write the term's files into as well.")
@output_set_options
@record_options
@json_option
@handles_errors
def clubs(args: tuple[str, ...], seed: int, start: str | None, again: bool, time_limit: float,
          out: str | None, force: bool, skip: tuple[str, ...], lang: str | None,
          by: str | None, as_json: bool) -> None:
    """Draw the club lottery (社团抽签, SPEC §12) from a published seed: priority children
    first, then by SHA-256 of "seed:student id"; each pupil the highest choice with a seat;
    clubs under their minimum cancelled and their pupils placed again; numbered waiting
    lists. The result is appended to the term's record (TERM: the term folder or a record
    URL; INSTANCE: the sheets with clubs.csv and club_choices.csv, default the latest the
    record holds). The care plan is made again from DATE (a new version, pupils kept in
    their groups as far as the rules allow): on club days members are in their club, not
    in care, and staff instructors have no other duty. The term folder is written again
    with the public notice
    (clubs-notice.html, masked names, the seed and how to re-run it), each club's list for
    its instructor and the parents' club notice.

    \b
    Exit codes: 0 drawn; 3 drawn, the care plan made again with unfilled duties; 2 bad
    input (no clubs, a choice that breaks a rule, a date outside the term or not after the
    current version's start); 5 record busy.
    Example: afterschool clubs plan-out --seed 20260914 --from 2026-09-15
    """
    t0 = _clock()  # the time promise counts from here
    from afterschool.scheduler.clubs.run import with_clubs
    from afterschool.scheduler.planning.reserve import after_term, before_term, outside
    from afterschool.scheduler.record import term as T
    deadline = _term_deadline(time_limit, t0)  # reading and the record count too
    if len(args) > 2:
        raise click.UsageError("give TERM, or INSTANCE and TERM")
    day = _date_option("--from", start) if start else None
    author = _author(by)
    ref = _record_ref(args[-1])
    if len(args) == 2:
        inst = _load(args[0])
        term = T.open_term(ref, T.school_key(inst), option="TERM")
    else:
        term = T.open_term(ref)
        inst = term.latest_instance()
    with term.record.write(author, "clubs", T.lock_key(term.key)) as w:
        plan, lottery, _ = with_clubs(inst, term.current(w), seed, day, replan=again,
                                      time_limit=time_limit, deadline=deadline,
                                      log=lambda line: click.echo(line, err=True),
                                      after=after_term(inst, "clubs", set(skip)),
                                      before=before_term(inst))
        T.record_clubs(w, term, inst, plan)
    if out is not None:
        from afterschool.scheduler.handouts.bundle import check_out_dir
        check_out_dir(Path(out), None, force)
    from afterschool.scheduler.handouts.bundle import write_plan_folder
    for folder in T.export_folders(term, out):
        _, warnings = write_plan_folder(None, folder, lang, set(skip),
                                        **T.export_args(term, folder))
        for w_ in warnings:
            _warn(w_, _lang() or plan.extra.get("language", "zh"))
    sec = plan.extra["clubs"]
    language = _lang() or plan.extra.get("language", "zh")
    late = _promise_missed(deadline, time_limit, language, outside=outside(inst))
    if as_json:
        click.echo(json.dumps({k: sec[k] for k in ("seed", "start", "assigned", "waiting",
                                                   "cancelled", "managers", "conflicts")},
                              ensure_ascii=False, indent=1))
        if late:
            _warn(late, language)
        sys.exit(EXIT_SHORTAGE if again and plan.shortages else 0)
    click.echo(say("clubs_drawn", language, seed=seed, assigned=len(sec["assigned"]),
                   choosing=len(inst.club_choices), waiting=len(sec["waiting"]),
                   cancelled=("、" if language == "zh" else ", ").join(
                       sec["clubs"][c]["name"] for c in sec["cancelled"])
                   or say("clubs_none_cancelled", language)))
    short = sum(r["managers_short"] for r in sec["managers"])
    if short:
        click.echo(say("clubs_managers_short", language, n=short,
                       path="plan.json: clubs.managers"), err=True)
    from afterschool.scheduler.handouts.labels import day_name
    for c in sec["conflicts"]:
        click.echo(say("clubs_conflict", language, club=c["club"], staff=c["staff"],
                       day=day_name(c["day"], language), time=f"{c['start']}-{c['end']}"), err=True)
    if late:
        click.echo("  " + late)
    click.echo(say("recorded_in", language, where=T.record_address(term)))
    sys.exit(EXIT_SHORTAGE if again and plan.shortages else 0)


@main.command()
@click.argument("term_arg", metavar="TERM")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Folder to write plan.json and the hand-outs into (the term folder "
              "itself, or another).")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="The plan in force on that date (default: the latest).")
@output_set_options
@handles_errors
def export(term_arg: str, out: str, as_of: str | None, force: bool, skip: tuple[str, ...],
           lang: str | None) -> None:
    """Write the term's plan.json and hand-outs again from its record (SPEC §10): after a
    file was deleted or edited, or as they were on an earlier date (--as-of).

    Example: afterschool export plan-out --as-of 2026-10-12 --out october
    """
    from afterschool.scheduler.handouts.bundle import check_out_dir, write_plan_folder
    from afterschool.scheduler.record import term as T
    day = _date_option("--as-of", as_of) if as_of else None
    term = _open_term(term_arg)
    out_dir = Path(out)
    if term.folder is None or out_dir.resolve() != Path(term.folder).resolve():
        check_out_dir(out_dir, None, force)
    written, warnings = write_plan_folder(None, out_dir, lang, set(skip),
                                          **T.export_args(term, out_dir, day))
    for w_ in warnings:
        _warn(w_)
    click.echo(say("exported", _lang(), path=out_dir / "plan.json", n=len(written)))


def _date_option(option: str, text: str):
    from datetime import date
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError([Problem(option, "not a date", value=text,
                                  expected="YYYY-MM-DD")]) from None


def _record_ref(term_arg: str):
    """TERM as a record, or exit 2 saying it is not one."""
    from afterschool.scheduler.record import term as T
    ref = T.locate(term_arg)
    if not ref.has_record:
        raise InputError([Problem("TERM", f"{term_arg} holds no term record",
                                  expected="a term folder made by afterschool plan "
                                  "(with record.sqlite) or a record URL")])
    return ref


def _open_term(term_arg: str):
    """The term TERM names, in its record (exit 2 when it holds none); the school's
    language is kept for the command's messages."""
    from afterschool.scheduler.record import term as T
    term = T.open_term(_record_ref(term_arg))
    with term.record.read() as r:
        row = term.current_row(r)
        if row is not None:  # the command reads (and checks) the plan itself
            lang = r.document(row["id"]).get("language")
            click.get_current_context().meta["lang"] = lang
    return term


def _lang() -> str | None:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get("lang") if ctx else None


def _pick_id(option: str, given: str | None, known) -> str | None:
    """An id as the record knows it (ids compare ignoring case), or exit 2."""
    if given is None:
        return None
    for k in known:
        if k.casefold() == given.casefold():
            return k
    raise InputError([Problem(option, "not known in this term", value=given)])


@main.command()
@click.argument("term_arg", metavar="TERM")
@click.option("--date", "day", required=True, metavar="DATE", help="The date (YYYY-MM-DD).")
@click.option("--group", default=None, help="One group's id.")
@click.option("--teacher", default=None, help="One person's id.")
@click.option("--student", default=None, help="One pupil's id.")
@lang_option
@json_option
@handles_errors
def who(term_arg: str, day: str, group: str | None, teacher: str | None,
        student: str | None, lang: str | None, as_json: bool) -> None:
    """Who was on duty where on a date, who was absent and who covered, from the version
    in force that date and the recorded absences (SPEC §10).

    Example: afterschool who plan-out --date 2026-10-14 --group after-upper-03
    """
    from afterschool.scheduler.record import questions as Q
    if sum(x is not None for x in (group, teacher, student)) > 1:
        raise click.UsageError("give at most one of --group, --teacher, --student")
    when = _date_option("--date", day)
    term = _open_term(term_arg)
    with term.record.read() as r:
        plan = term.current(r)
        absences = r.absences(term.term_id)
        marks = r.attendance(term.term_id, when.isoformat())
    v = Q.version_on(plan, when)
    people = plan.extra.get("people", {})
    group = _pick_id("--group", group, {g.id for x in plan.versions() for g in x.groups})
    teacher = _pick_id("--teacher", teacher, people.get("staff", {}))
    student = _pick_id("--student", student, people.get("students", {}))
    rows = Q.who(plan, when, absences, group=group, teacher=teacher, student=student,
                 clubs=True)
    pupils = Q.attendance_on(plan, when, marks, {r["group"] for r in rows if r["group"]},
                             student)
    if as_json:
        click.echo(json.dumps({"date": when.isoformat(), "day": Q.weekday_of(plan, when),
                               "valid_from": v.valid_from if v else None, "duties": rows,
                               "attendance": pupils}, ensure_ascii=False, indent=1))
        return
    lang = lang or plan.extra.get("language", "zh")
    for line in Q.who_lines(plan, when, rows, lang) + Q.attendance_lines(plan, pupils, lang):
        click.echo(line)


@main.command()
@click.argument("term_arg", metavar="TERM")
@click.option("--teacher", default=None, help="Only what touched this person.")
@click.option("--student", default=None, help="Only what touched this pupil.")
@lang_option
@json_option
@handles_errors
def history(term_arg: str, teacher: str | None, student: str | None, lang: str | None,
            as_json: bool) -> None:
    """Every change recorded in the term, oldest first: when, by whom, what changed (for
    one pupil or person with --student / --teacher).

    Example: afterschool history plan-out --teacher T009
    """
    from afterschool.scheduler.record import questions as Q
    if teacher is not None and student is not None:
        raise click.UsageError("give at most one of --teacher, --student")
    term = _open_term(term_arg)
    with term.record.read() as r:
        plan = term.current(r)
        entries = r.entries(term.term_id)
        docs = {row["entry_id"]: r.document(row["id"]) for row in r.plan_rows(term.term_id)
                if row["kind"] in ("plan", "clubs")} if (teacher or student) else {}
    people = plan.extra.get("people", {})
    teacher = _pick_id("--teacher", teacher, people.get("staff", {}))
    student = _pick_id("--student", student, people.get("students", {}))
    rows = Q.history(entries, docs, student=student, teacher=teacher)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for line in Q.history_lines(plan, rows, lang or plan.extra.get("language", "zh")):
        click.echo(line)


@main.group()
def attendance() -> None:
    """Roll call (点名): print the week's sheets, and record them filled in (SPEC §11)."""


@attendance.command("sheet")
@click.argument("term_arg", metavar="TERM")
@click.option("--week", "week", required=True, metavar="DATE",
              help="Any date of the week (YYYY-MM-DD).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), required=True,
              help="The workbook to write (.xlsx).")
@lang_option
@handles_errors
def attendance_sheet(term_arg: str, week: str, out_file: str, lang: str | None) -> None:
    """Roll-call sheets for a week: one A4 sheet per group with full names, class, a column
    per date the group meets (grey where a pupil does not come that weekday), who is on
    duty, who actually supervised and a line to sign. Fill it in and record it with
    'afterschool attendance import'.

    Example: afterschool attendance sheet plan-out --week 2026-09-14 --out roll-call.xlsx
    """
    from afterschool.scheduler.record.happened import write_roll_call
    day = _date_option("--week", week)
    path = Path(out_file)
    if path.suffix.lower() != ".xlsx":
        raise InputError([Problem("--out", "not an .xlsx file name", value=out_file,
                                  expected="a name ending in .xlsx")])
    _not_an_input("--out", path, term_arg)
    term = _open_term(term_arg)
    with term.record.read() as r:
        plan = term.current(r)
    n = write_roll_call(plan, day, path, lang or plan.extra.get("language", "zh"))
    click.echo(say("wrote_sheets", _lang(), path=path, n=n))


@attendance.command("import")
@click.argument("term_arg", metavar="TERM")
@click.argument("file", type=click.Path(dir_okay=False))
@record_options
@handles_errors
def attendance_import(term_arg: str, file: str, by: str | None) -> None:
    """Record attendance: the filled roll-call workbook, or a CSV of date, session,
    student, status (日期, 时段, 学号, 状态: 到 迟 早退 假 缺) or of staff rows (date,
    session, group, staff, status: 值班 / 未开展 / who did it). A bad row is exit 2 naming
    file, row and column, and nothing of the file is recorded; importing a file again
    records nothing new; a later entry supersedes an earlier one.

    Example: afterschool attendance import plan-out roll-call.xlsx
    """
    from afterschool.scheduler.record.happened import read_attendance
    from afterschool.scheduler.record import term as T
    author = _author(by)
    term = _open_term(term_arg)
    with term.record.write(author, "attendance import", T.lock_key(term.key)) as w:
        entries = read_attendance(Path(file), term.current(w))
        pupils, staff = T.record_attendance(w, term, entries, Path(file).name)
    click.echo(say("recorded_attendance", _lang(), pupils=pupils, staff=staff, file=file)
               if pupils or staff else say("nothing_new", _lang(), file=file))
    if pupils or staff:
        _rewritten(T.rewrite(term))


@main.command()
@click.argument("term_arg", metavar="TERM")
@click.option("--dates", required=True, help="D1[,D2…] or D1..D2 (every service date between).")
@click.option("--session", default=None, help="One session's id or name (default: all).")
@click.option("--reason", required=True, help="Why the service did not run.")
@record_options
@handles_errors
def cancel(term_arg: str, dates: str, session: str | None, reason: str, by: str | None) -> None:
    """Record that the service did not run on those dates (weather, exams, closure): no fee
    and no pay for them in the settlement.

    Example: afterschool cancel plan-out --dates 2026-11-20 --reason 期中考试
    """
    from afterschool.scheduler.record import term as T
    from afterschool.scheduler.reading.clean import clean_text
    author = _author(by)
    text, found = clean_text(reason.strip(), limit=max(len(reason), 1))
    if not text or found or len(text) > 200:
        raise InputError([Problem("--reason", "not a usable reason", value=reason,
                                  expected="1-200 printable characters")])
    term = _open_term(term_arg)
    with term.record.write(author, "cancel", T.lock_key(term.key)) as w:
        plan = term.current(w)
        days = _service_dates("--dates", dates, plan)
        sid = None
        if session is not None:
            names = {k: (v or {}).get("name") for k, v in plan.extra.get("sessions", {}).items()}
            sid = session if session in names else next(
                (k for k, v in names.items() if v == session), None)
            if sid is None:
                raise InputError([Problem("--session", "unknown session", value=session,
                                          expected=", ".join(sorted(names)))])
        n = T.record_cancel(w, term, days, sid, text)
    click.echo(say("recorded_cancel", _lang(), n=n) if n else say("already_cancelled", _lang()))
    if n:
        _rewritten(T.rewrite(term))


def _rewritten(folders) -> None:
    for f in folders:
        click.echo(say("rewritten", _lang(), path=Path(f) / "plan.json"))


def _service_dates(option: str, text: str, plan) -> list[str]:
    """Service dates of the term from D1,D2 or D1..D2; anything else is bad input."""
    from datetime import timedelta
    from afterschool.scheduler.record.questions import weekday_of
    out: list[str] = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        if ".." in part:
            a, b = (_date_option(option, x) for x in part.split("..", 1))
            d = a
            while d <= b:
                if weekday_of(plan, d) is not None:
                    out.append(d.isoformat())
                d += timedelta(days=1)
            continue
        d = _date_option(option, part)
        if weekday_of(plan, d) is None:
            raise InputError([Problem(option, "not a service date of the term", value=part)])
        out.append(d.isoformat())
    if not out:
        raise InputError([Problem(option, "no service date given", value=text)])
    return sorted(set(out))


@main.group()
def payments() -> None:
    """Payments received from parents (SPEC §11)."""


@payments.command("import")
@click.argument("term_arg", metavar="TERM")
@click.argument("file", type=click.Path(dir_okay=False))
@record_options
@handles_errors
def payments_import(term_arg: str, file: str, by: str | None) -> None:
    """Record payments from a CSV of student, date, amount, channel, receipt (学号, 日期,
    金额, 方式, 票据号). A receipt already recorded is skipped.

    Example: afterschool payments import plan-out payments.csv
    """
    from afterschool.scheduler.record.happened import read_payments
    from afterschool.scheduler.record import term as T
    author = _author(by)
    term = _open_term(term_arg)
    with term.record.write(author, "payments import", T.lock_key(term.key)) as w:
        rows = read_payments(Path(file), term.current(w))
        n = T.record_payments(w, term, rows, Path(file).name)
    click.echo(say("recorded_payments", _lang(), n=n, file=file) if n else
               say("nothing_new", _lang(), file=file))


@main.command()
@click.argument("term_arg", metavar="TERM")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Folder for settlement.csv and settlement.xlsx.")
@json_option
@handles_errors
def settle(term_arg: str, out: str | None, as_json: bool) -> None:
    """Settle the term (多退少补): per pupil the fee due under the school's [refunds] policy,
    what was paid, and the refund, credit or amount still owed, with the rule that
    applied; per person the planned pay and the pay for duty delivered; totals that tie
    and the earmarked fund's balance (专款专用).

    Example: afterschool settle plan-out --out settlement
    """
    from afterschool.scheduler.money.settlement import settle as settle_term
    from afterschool.scheduler.record import term as T
    term = _open_term(term_arg)
    with term.record.read() as r:
        plan = term.current(r)
        facts = T.facts(r, term.term_id)
    inst = term.latest_instance()
    result = settle_term(inst, plan, facts)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    from afterschool.scheduler.handouts.settlement import totals_lines, write_settlement
    lang = plan.extra.get("language", "zh")
    for line in totals_lines(result, lang):
        click.echo(line)
    if out:
        for path in write_settlement(result, Path(out), lang):
            click.echo(say("wrote", lang, path=path))


@main.command()
@click.argument("terms", nargs=-1, required=True, metavar="TERM...")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Folder for bureau.csv (one row per school) and bureau.xlsx (every table).")
@click.option("--jobs", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Local worker processes.")
@click.option("--scheduler", "scheduler_address", default=None,
              help="Run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (pip install \".[dask]\").")
@json_option
@handles_errors
def bureau(terms: tuple[str, ...], out: str | None, jobs: int, scheduler_address: str | None,
           as_json: bool) -> None:
    """Reports upward (报市备案) for one or many schools' term records: participation,
    pupils coming all five days, staff taking part, external staff, fee income, refunds,
    pay and balance, one row per school and the totals; with --out the tables city
    platforms collect (classes, staff, payments, refunds, groups, attendance by date).

    Example: afterschool bureau school-a/term school-b/term --out city --jobs 2
    """
    from afterschool.scheduler.record.bureau import bureau as report, totals
    if scheduler_address:
        import importlib.util
        if importlib.util.find_spec("distributed") is None:
            raise InputError([Problem("--scheduler", f"cannot reach {scheduler_address}: the "
                                      "Dask client is not installed",
                                      expected='pip install ".[dask]"')])
    for t in terms:
        _record_ref(t)
    reports = report(list(terms), jobs, scheduler_address)
    rows = [r["row"] for r in reports]
    total = totals(rows)
    if as_json:
        click.echo(json.dumps({"schools": rows, "totals": total}, ensure_ascii=False, indent=1))
        return
    from afterschool.scheduler.handouts.bureau import summary_lines
    lang = "zh" if all(r["language"] == "zh" for r in reports) else "en"
    for line in summary_lines(rows, total, lang):
        click.echo(line)
    if out:
        from afterschool.scheduler.handouts.bureau import write_bureau
        for path in write_bureau(reports, total, Path(out), lang):
            click.echo(say("wrote", lang, path=path))



LOOPBACK = ("127.0.0.1", "localhost", "::1")


@main.command()
@click.argument("term_arg", metavar="TERM")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; other than this machine only once accounts exist.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@handles_errors
def serve(term_arg: str, host: str, port: int) -> None:
    """The office's page: the term's record in a browser (today, roll call, absences, the
    week, money, history) for the accounts made with 'afterschool user add'. Every entry
    made through the page is recorded with the logged-in account as its author.

    Example: afterschool serve plan-out --host 0.0.0.0 --port 8000
    """
    import uvicorn
    from afterschool.scheduler.record import term as T
    from afterschool.scheduler.web.accounts import accounts
    from afterschool.scheduler.web.app import make_app
    term = _open_term(term_arg)
    with term.record.write(_author(None), "serve", T.lock_key(term.key)):
        pass  # a record that cannot be locked for writing is refused now, not on a save
    with term.record.read() as r:
        term.current(r)
    users = accounts(term)
    if host not in LOOPBACK:
        if not users:
            raise InputError([Problem("--host", "the page is open to other machines only "
                                      "once accounts exist", value=host,
                                      expected="afterschool user add TERM NAME --role office "
                                      "first, or --host 127.0.0.1")])
        click.echo(say("serve_open", _lang(), host=host, port=port, n=len(users)))
    elif not users:
        _warn(say("serve_no_account", _lang()))
    click.echo(say("serve_at", _lang(), url=f"http://{'[' + host + ']' if ':' in host else host}"
                   f":{port}/"))
    uvicorn.run(make_app(term), host=host, port=port, log_level="warning",
                server_header=False)


@main.group()
def user() -> None:
    """Accounts of the office's page (kept in the term's record)."""


def _read_password(confirm: bool = True) -> str:
    if sys.stdin.isatty():
        return click.prompt("password", hide_input=True, confirmation_prompt=confirm)
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


@user.command("add")
@click.argument("term_arg", metavar="TERM")
@click.argument("name")
@click.option("--role", type=click.Choice(["office", "teacher"]), required=True)
@click.option("--staff", default=None, metavar="ID", help="A teacher's 工号 in the term.")
@record_options
@handles_errors
def user_add(term_arg: str, name: str, role: str, staff: str | None, by: str | None) -> None:
    """Add an account; the password is read from standard input (one line), never taken as
    an argument. A teacher's account sees only that person's duties and groups.

    Example: printf '%s\\n' "$PW" | afterschool user add plan-out 李老师 --role teacher --staff T009
    """
    from afterschool.scheduler.web import accounts as A
    author = _author(by)
    term = _open_term(term_arg)
    A.add(term, name, role, staff, _read_password(), author)
    click.echo(say("user_added", _lang(), name=A.check_name(name), role=say(
        "role_" + role, _lang()), staff=f" {staff}" if staff else ""))


@user.command("password")
@click.argument("term_arg", metavar="TERM")
@click.argument("name")
@record_options
@handles_errors
def user_password(term_arg: str, name: str, by: str | None) -> None:
    """Change an account's password (read from standard input); its sessions end."""
    from afterschool.scheduler.web import accounts as A
    author = _author(by)
    term = _open_term(term_arg)
    A.set_password(term, name, _read_password(), author)
    click.echo(say("user_password", _lang(), name=name))


@user.command("list")
@click.argument("term_arg", metavar="TERM")
@handles_errors
def user_list(term_arg: str) -> None:
    """The accounts: name, role, person, since when and by whom."""
    from afterschool.scheduler.record.questions import local_time
    term = _open_term(term_arg)
    with term.record.read() as r:
        rows = r.users(term.term_id)
    for name, x in sorted(rows.items()):
        click.echo(f"{name}\t{say('role_' + x['role'], _lang())}\t{x['staff'] or '-'}\t"
                   f"{local_time(x['recorded_at'])}\t{x['recorded_by']}")
    if not rows:
        click.echo(say("user_none", _lang()))


@user.command("remove")
@click.argument("term_arg", metavar="TERM")
@click.argument("name")
@record_options
@handles_errors
def user_remove(term_arg: str, name: str, by: str | None) -> None:
    """Remove an account (kept in the record's history); its sessions end."""
    from afterschool.scheduler.web import accounts as A
    author = _author(by)
    term = _open_term(term_arg)
    A.remove(term, name, author)
    click.echo(say("user_removed", _lang(), name=name))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
