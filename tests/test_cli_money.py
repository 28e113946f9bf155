"""fees, pay and budget commands: CSV and Excel with totals equal to the plan's figures."""
import json
from decimal import Decimal

import openpyxl
from click.testing import CliRunner

from afterschool.cli import main
from school_files import students_rows, write_instance


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_fee_pay_budget_exports(tmp_path):
    folder = write_instance(
        tmp_path / "i", students=students_rows(50, afternoon="Tue Wed") +
        "S0900,Poor,3,3-1,,Tue,,exempt,,,enrolled,\n",
        teachers="T1,A,yes,no,staff,,,,no\nT2,B,yes,no,external,80.00,,,no\n",
        availability="T1,Tue,after-upper,available\nT1,Wed,after-upper,available\n"
                     "T2,Tue,after-upper,available\nT2,Wed,after-upper,available\n")
    assert run("plan", folder, "--out", tmp_path / "p", "--time-limit", 2).exit_code == 0
    plan = json.loads((tmp_path / "p" / "plan.json").read_text())
    r = run("fees", folder, "--out", tmp_path / "x")
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(tmp_path / "x" / "fees.xlsx")["fees"]
    assert ws.max_row == 1 + 51 + 1 and ws.cell(ws.max_row, 1).value == "total"
    total = sum(Decimal(f["service_fee"]) for f in plan["fees"])
    assert ws.cell(1, 2).value == "name"  # beside the id
    assert Decimal(str(ws.cell(ws.max_row, 7).value)).quantize(Decimal("0.01")) == total
    assert (tmp_path / "x" / "fees.csv").read_text(encoding="utf-8-sig").splitlines()[-1] \
        .endswith(f"{total},0.00")
    assert run("pay", tmp_path / "p", "--out", tmp_path / "x").exit_code == 0
    wb = openpyxl.load_workbook(tmp_path / "x" / "pay.xlsx")
    assert wb.sheetnames == ["pay", "flex time"]
    pay_total = sum(Decimal(p["amount"]) for p in plan["pay"])
    last = [c.value for c in wb["pay"][wb["pay"].max_row]]
    assert wb["pay"].cell(1, 2).value == "name"
    assert last[0] == "total" and Decimal(str(last[5])).quantize(Decimal("0.01")) == pay_total
    b = json.loads(run("budget", tmp_path / "p", "--json").stdout)
    assert b["budget"][-1]["pay"] == f"{pay_total}" and b["staffing"]
    assert "total," in run("budget", tmp_path / "p").stdout
