"use strict";
// One long-lived fastest-validator process for the differential test.
// stdin: one JSON object per line, {"schema": ..., "params": ...}; stdout: one JSON answer per line, in order:
//   {"compile": "<message>"}                      the schema did not compile
//   {"ok": true, "value": <params after FV>}      passed (FV converts and fills defaults in place)
//   {"ok": false, "errors": [[type, field], ...]} failed (a root objectStrict: [type, null, "unknown, keys"])
//   {"crash": "<message>"}                        the check itself threw
// With "messages": true in the request, each error is [type, field, message].
// A value FV leaves as a Date is sent as {"$date": <ISO string or null>}.
const path = require("path");
const readline = require("readline");
const Validator = require(path.join(process.argv[2] || ".", "node_modules", "fastest-validator"));

const v = new Validator();
Date.prototype.toJSON = function () { return { $date: isNaN(this.getTime()) ? null : this.toISOString() }; };

function answer(line) {
	const { schema, params, messages } = JSON.parse(line);
	let check;
	try {
		check = v.compile(schema);
	} catch (err) {
		return { compile: String(err && err.message) };
	}
	try {
		const res = check(params);
		if (res === true) return { ok: true, value: params === undefined ? null : params };
		if (messages) return { ok: false, errors: res.map(e => [e.type, e.field === undefined ? null : e.field, e.message]) };
		return { ok: false, errors: res.map(e => e.field === undefined && e.type === "objectStrict"
			? [e.type, null, e.actual] : [e.type, e.field === undefined ? null : e.field]) };
	} catch (err) {
		return { crash: String(err && err.message) };
	}
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", line => {
	let out;
	try {
		out = answer(line);
	} catch (err) {
		out = { crash: "runner: " + String(err && err.message) };
	}
	process.stdout.write(JSON.stringify(out) + "\n");
});
