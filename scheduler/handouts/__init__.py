"""Hand-outs: everything written for the office (workbook, notices, calendars, charts, the printed summary) and the output layer that writes it."""
