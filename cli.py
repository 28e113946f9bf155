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
from afterschool.scheduler.help import HelpGroup
from afterschool.scheduler.say import say
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


def _tell_late(late: str | None, as_json: bool, lang: str | None = None) -> None:
    """The promise's line (``_promise_missed``), if any: a warning beside JSON, else a line
    of the summary."""
    if late and as_json:
        _warn(late, lang)
    elif late:
        click.echo("  " + late)


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
                      help="help.--lang.hand-outs")(fn)
    fn = click.option("--skip", multiple=True, type=click.Choice(HANDOUT_CHOICES),
                      help="help.--skip")(fn)
    return click.option("--force", is_flag=True,
                        help="help.--force")(fn)


def record_options(fn):
    """--by: who makes this command's record entries (default: the login name)."""
    return click.option("--by", "by", default=None, metavar="NAME",
                        help="help.--by")(fn)


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
                      help="help.--time-limit")(fn)
    return click.option("--out", "out", type=click.Path(file_okay=False), default=None,
                        help="help.--out.as-well")(fn)


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="help.--json")(fn)


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
    (``reserve.term_search`` gives the search what the rest leaves)."""
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


class _Workflow(HelpGroup):
    group_class = HelpGroup  # attendance, payments, user: their help from the catalogue too

    def list_commands(self, ctx):
        known = super().list_commands(ctx)
        return [c for c in WORKFLOW if c in known] + [c for c in known if c not in WORKFLOW]

    def parse_args(self, ctx, args):
        ctx.meta["words"] = list(args)  # the command line, for a usage error's language
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as err:  # an option of afterschool itself (before a command)
            raise _said(err, ctx) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as err:
            raise _said(err, ctx) from None


def _said(err: click.UsageError, ctx) -> click.UsageError:
    """``err`` to be said in the command line's language (``_SaidUsageError``); a group
    typed alone (Click 8.2's usage error that shows its help) and one already said as
    they are."""
    if isinstance(err, _SaidUsageError) or type(err).__name__ == "NoArgsIsHelpError":
        return err  # a group alone: its help, once
    from afterschool.scheduler.reading.language import language_named
    return _SaidUsageError(err, language_named(ctx.meta.get("words", [])))


@click.group(cls=_Workflow, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="help.--verbose")
@click.version_option(package_name="afterschool")
def main(verbose: bool) -> None:
    pass


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en",
              help="help.init.--lang")
@click.option("--force", is_flag=True, help="help.init.--force")
@handles_errors
def init(folder: str, lang: str, force: bool) -> None:
    from afterschool.scheduler.reading.template import write_template
    for p in write_template(folder, lang, force):
        click.echo(say("wrote", lang, path=p))
    click.echo(say("init_next", lang, folder=folder))


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--students", "n_students", type=click.IntRange(1, 100_000), default=800,
              show_default=True, help="help.--students")
@click.option("--classes", "n_classes", type=click.IntRange(1, 2000), default=None,
              help="help.--classes")
@click.option("--teachers", "n_teachers", type=click.IntRange(1, 20_000), default=None,
              help="help.--teachers")
@click.option("--seed", type=opt.SEED, default=1, show_default=True)
@click.option("--name", default="示例小学", show_default=True, help="help.--name")
@click.option("--clubs", "n_clubs", type=click.IntRange(0, 200), default=0, show_default=True,
              help="help.--clubs")
@click.option("--choosing", "n_choosing", type=click.IntRange(0, 100_000), default=0,
              show_default=True, help="help.--choosing")
@click.option("--force", is_flag=True,
              help="help.generate.--force")
@click.option("--venues", is_flag=True,
              help="help.--venues")
@handles_errors
def generate(folder: str, n_students: int, n_classes: int | None, n_teachers: int | None,
             seed: int, name: str, n_clubs: int, n_choosing: int, force: bool,
             venues: bool) -> None:
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
              help="help.plan.--out")
@click.option("--time-limit", type=opt.SECONDS, default=7.0, show_default=True,
              help="help.plan.--time-limit")
@click.option("--seed", type=opt.SEED, default=0, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="help.--workers")
@click.option("--group-days-slack", type=click.IntRange(0, 50), default=0, show_default=True,
              help="help.--group-days-slack")
@click.option("--group-days-tolerance", type=opt.PERCENT, default=1.0,
              show_default=True,
              help="help.--group-days-tolerance")
@click.option("--record", "record_url", default=None, metavar="URL",
              help="help.--record")
@click.option("--new-record", is_flag=True,
              help="help.--new-record")
@record_options
@output_set_options
@json_option
@handles_errors
def plan(instance: str, out: str, time_limit: float, seed: int, workers: int, force: bool,
         group_days_slack: int, group_days_tolerance: float, skip: tuple[str, ...],
         lang: str | None, as_json: bool, record_url: str | None, new_record: bool,
         by: str | None) -> None:
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
        _tell_late(late, as_json)
    else:
        school_lang = lang or inst.school.language
        click.echo(office_summary(result, school_lang))
        _tell_late(late, as_json)
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
                          help="help.--out")


@main.command()
@click.argument("instance", type=click.Path())
@out_option
@json_option
@handles_errors
def fees(instance: str, out: str | None, as_json: bool) -> None:
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
    from afterschool.scheduler.money.tables import budget_report
    p = _read_plan(plan_file)
    sheets, data = budget_report(p)
    from afterschool.scheduler.handouts.display import localise
    lang = p.extra.get("language", "zh")
    _emit(localise(sheets, lang, p), "budget", out, as_json, data, lang)


lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
                           help="help.--lang")


@main.command()
@click.argument("plan_file", metavar="PLAN")
@click.option("--teacher", "staff", default=None,
              help="help.--teacher")
@click.option("--all", "everyone", is_flag=True, help="help.--all")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "ics"]), default="xlsx",
              show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default="rosters", show_default=True)
@click.option("--alarm", type=click.IntRange(0, 1440), default=15, show_default=True,
              help="help.--alarm")
@lang_option
@handles_errors
def roster(plan_file: str, staff: str | None, everyone: bool, fmt: str, out: str,
           alarm: int, lang: str | None) -> None:
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
              show_default=True, help="help.report.--out")
@lang_option
@handles_errors
def report(plan_file: str, out_file: str, lang: str | None) -> None:
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
              show_default=True, help="help.--kind")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="help.notice.--out")
@lang_option
@handles_errors
def notice(plan_file: str, kind: str, out: str | None, lang: str | None) -> None:
    from afterschool.scheduler.handouts.bundle import notice_sheets
    p = _read_plan(plan_file)
    lang = lang or p.extra.get("language", "zh")
    _emit(notice_sheets(p, kind, lang), f"notice-{kind}", out, False, None, lang)

@main.command()
@click.argument("plan_file", metavar="PLAN")
@click.option("--kind", type=click.Choice(["gantt", "load", "staffing", "sizes"]),
              default="gantt", show_default=True)
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="help.chart.--out")
@lang_option
@handles_errors
def chart(plan_file: str, kind: str, out_file: str | None, lang: str | None) -> None:
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
              help="help.scenario.--students")
@click.option("--teachers", "teachers", type=opt.TEACHER_CHANGES, default="",
              help="help.scenario.--teachers")
@click.option("--cap", "cap", type=opt.whole_list("cap"), default="",
              help="help.--cap")
@click.option("--remainder-threshold", type=opt.whole_list("remainder_threshold"), default="",
              help="help.--remainder-threshold")
@click.option("--manager-threshold", type=opt.whole_list("manager_remainder_threshold"),
              default="", help="help.--manager-threshold")
@click.option("--days", "days", type=opt.DAYS, default=None,
              help="help.--days")
@click.option("--venue-groups", "venue_groups", type=opt.VENUE_GROUPS, default="",
              help="help.--venue-groups")
@click.option("--rain", "rain", type=opt.DAYS, default=None,
              help="help.--rain")
@click.option("--file", "scenario_file", type=click.Path(exists=True, dir_okay=False),
              default=None, help="help.--file")
@click.option("--time-limit", type=opt.SECONDS, default=4.0, show_default=True,
              help="help.scenario.--time-limit")
@click.option("--seed", type=opt.SEED, default=0, show_default=True)
@click.option("--jobs", type=click.IntRange(1, 256), default=1, show_default=True,
              help="help.--jobs")
@click.option("--scheduler", "scheduler_address", default=None,
              help="help.--scheduler")
@out_option
@json_option
@handles_errors
def scenario(instances, students, teachers, cap, remainder_threshold, manager_threshold, days,
             venue_groups, rain, scenario_file, time_limit, seed, jobs, scheduler_address, out,
             as_json) -> None:
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
              help="help.staffing.--students")
@click.option("--groups", "c", type=opt.COUNT, default=None,
              help="help.--groups")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="help.staffing.--lang")
@json_option
@handles_errors
def staffing(n: int | None, c: int | None, lang: str | None, as_json: bool) -> None:
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
              help="help.substitute.--teacher")
@click.option("--dates", required=True,
              help="help.--dates")
@term_change_options
@handles_errors
def substitute(instance: str, term_arg: str, absent: str, dates: str, out: str | None,
               time_limit: float, seed: int, force: bool, skip: tuple[str, ...],
               lang: str | None, as_json: bool, by: str | None) -> None:
    t0 = _clock()  # the time promise counts from here
    from afterschool.scheduler.handouts.bundle import check_out_dir
    from afterschool.scheduler.handouts.cover import cover_summary, write_cover_folder
    from afterschool.scheduler.planning.reserve import outside, term_search
    from afterschool.scheduler.planning.substitute import substitute as cover
    from afterschool.scheduler.reading.reader import resolve
    from afterschool.scheduler.record import term as T
    deadline = _term_deadline(time_limit, t0)
    author = _author(by)
    inst = _load(instance)
    ref = T.locate(term_arg)
    if out is not None:
        check_out_dir(Path(out), resolve(instance), force)
    if not ref.has_record:
        if out is None:
            raise InputError([Problem("--out", "a plan.json made without a record needs "
                                      "--out", expected="a folder for the updated plan")])
        search = term_search(deadline, inst, "substitute", set(skip))  # budgets: its limit
        result = cover(*_care(inst, _read_plan(str(ref.plan_file))), absent,
                       dates.split(","), time_limit=search.limit, seed=seed, deadline=search)
        folders = {Path(out): {}}
    else:
        term = T.open_term(ref, T.school_key(inst), option="TERM")
        with term.record.write(author, "substitute", T.lock_key(term.key)) as w:
            search = term_search(deadline, inst, "substitute", set(skip))
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
        _tell_late(late, as_json)
        sys.exit(EXIT_SHORTAGE if result.uncovered else 0)
    click.echo(cover_summary(result, _lang() or "zh"))
    _tell_late(late, as_json)
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
              help="help.--previous")
@click.option("--from", "start", required=True, metavar="DATE",
              help="help.--from")
@click.option("--pin", type=click.Choice(["none", "groups", "duties"]), default="none",
              show_default=True, help="help.--pin")
@term_change_options
@handles_errors
def replan(instance: str, previous: str, start: str, out: str | None, pin: str,
           time_limit: float, seed: int, force: bool, skip: tuple[str, ...],
           lang: str | None, as_json: bool, by: str | None) -> None:
    t0 = _clock()  # the time promise counts from here
    from datetime import date
    from afterschool.scheduler.handouts.bundle import check_out_dir
    from afterschool.scheduler.handouts.changes import (office_replan_summary, replan_summary,
                                                          write_replan_folder)
    from afterschool.scheduler.planning.replan import replan as re_plan
    from afterschool.scheduler.planning.reserve import outside, term_search
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

    def run(previous_plan):
        from afterschool.scheduler.clubs.presence import reservations
        from afterschool.scheduler.clubs.run import carry_clubs, replan_instance
        search = term_search(deadline, inst, "replan", set(skip))  # budgets: its limit
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
        _tell_late(late, as_json)
    else:
        click.echo(office_replan_summary(result, _lang() or "zh"))
        _tell_late(late, as_json)
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
              help="help.--seed")
@click.option("--from", "start", default=None, metavar="DATE",
              help="help.clubs.--from")
@click.option("--replan/--no-replan", "again", default=True, show_default=True,
              help="help.--replan")
@click.option("--time-limit", type=opt.SECONDS, default=CLUBS_LIMIT, show_default=True,
              help="help.clubs.--time-limit")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="help.clubs.--out")
@output_set_options
@record_options
@json_option
@handles_errors
def clubs(args: tuple[str, ...], seed: int, start: str | None, again: bool, time_limit: float,
          out: str | None, force: bool, skip: tuple[str, ...], lang: str | None,
          by: str | None, as_json: bool) -> None:
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
        _tell_late(late, as_json, language)
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
    _tell_late(late, as_json, language)
    click.echo(say("recorded_in", language, where=T.record_address(term)))
    sys.exit(EXIT_SHORTAGE if again and plan.shortages else 0)


@main.command()
@click.argument("term_arg", metavar="TERM")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="help.export.--out")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="help.--as-of")
@output_set_options
@handles_errors
def export(term_arg: str, out: str, as_of: str | None, force: bool, skip: tuple[str, ...],
           lang: str | None) -> None:
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
@click.option("--date", "day", required=True, metavar="DATE", help="help.--date")
@click.option("--group", default=None, help="help.--group")
@click.option("--teacher", default=None, help="help.who.--teacher")
@click.option("--student", default=None, help="help.--student")
@lang_option
@json_option
@handles_errors
def who(term_arg: str, day: str, group: str | None, teacher: str | None,
        student: str | None, lang: str | None, as_json: bool) -> None:
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
@click.option("--teacher", default=None, help="help.history.--teacher")
@click.option("--student", default=None, help="help.history.--student")
@lang_option
@json_option
@handles_errors
def history(term_arg: str, teacher: str | None, student: str | None, lang: str | None,
            as_json: bool) -> None:
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
    pass


@attendance.command("sheet")
@click.argument("term_arg", metavar="TERM")
@click.option("--week", "week", required=True, metavar="DATE",
              help="help.--week")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), required=True,
              help="help.attendance.sheet.--out")
@lang_option
@handles_errors
def attendance_sheet(term_arg: str, week: str, out_file: str, lang: str | None) -> None:
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
@click.option("--dates", required=True, help="help.cancel.--dates")
@click.option("--session", default=None, help="help.--session")
@click.option("--reason", required=True, help="help.--reason")
@record_options
@handles_errors
def cancel(term_arg: str, dates: str, session: str | None, reason: str, by: str | None) -> None:
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
    pass


@payments.command("import")
@click.argument("term_arg", metavar="TERM")
@click.argument("file", type=click.Path(dir_okay=False))
@record_options
@handles_errors
def payments_import(term_arg: str, file: str, by: str | None) -> None:
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
              help="help.settle.--out")
@json_option
@handles_errors
def settle(term_arg: str, out: str | None, as_json: bool) -> None:
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
              help="help.bureau.--out")
@click.option("--jobs", type=click.IntRange(1, 256), default=1, show_default=True,
              help="help.--jobs")
@click.option("--scheduler", "scheduler_address", default=None,
              help="help.--scheduler")
@json_option
@handles_errors
def bureau(terms: tuple[str, ...], out: str | None, jobs: int, scheduler_address: str | None,
           as_json: bool) -> None:
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
              help="help.--host")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@handles_errors
def serve(term_arg: str, host: str, port: int) -> None:
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
    pass


def _read_password(confirm: bool = True) -> str:
    if sys.stdin.isatty():
        return click.prompt("password", hide_input=True, confirmation_prompt=confirm)
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


@user.command("add")
@click.argument("term_arg", metavar="TERM")
@click.argument("name")
@click.option("--role", type=click.Choice(["office", "teacher"]), required=True)
@click.option("--staff", default=None, metavar="ID", help="help.--staff")
@record_options
@handles_errors
def user_add(term_arg: str, name: str, role: str, staff: str | None, by: str | None) -> None:
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
    from afterschool.scheduler.web import accounts as A
    author = _author(by)
    term = _open_term(term_arg)
    A.set_password(term, name, _read_password(), author)
    click.echo(say("user_password", _lang(), name=name))


@user.command("list")
@click.argument("term_arg", metavar="TERM")
@handles_errors
def user_list(term_arg: str) -> None:
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
    from afterschool.scheduler.web import accounts as A
    author = _author(by)
    term = _open_term(term_arg)
    A.remove(term, name, author)
    click.echo(say("user_removed", _lang(), name=name))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
