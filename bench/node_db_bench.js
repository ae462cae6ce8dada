"use strict";
/*
 * The Node.js half of bench/db_bench.py: moleculer-db's DbService with its default MemoryAdapter (NeDB),
 * driven by the same workload as the Python half. bench/db_bench.py installs moleculer and moleculer-db into
 * a cache folder and runs `node node_db_bench.js CONFIG.json` with NODE_PATH pointing there.
 *
 * Why a line protocol instead of one batch run: the machine is shared, so db_bench.py interleaves the two
 * sides op by op (node get, python get, node find, python find, ...) and both see the same background noise.
 *
 * CONFIG: {entities, budget, max_calls, create_cap, concurrency, get_indexes}; get_indexes are the positions
 * of the seeded entities that get/update use, drawn by Python with a fixed seed, so both sides read and write
 * the same entities in the same order.
 *
 * stdout, one JSON object per line: first {node, moleculer, "moleculer-db"} once seeded and checked, then one
 * answer per stdin command:
 *   {"cmd": "run", "op": "get", "concurrency": 1}   -> {"calls": n, "rate": calls_per_second}
 *   {"cmd": "end_round"}                            -> {"entities": n}  (leftover creates removed, unmeasured)
 *   {"cmd": "quit"}                                 -> {"bye": true}
 */
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const { ServiceBroker } = require("moleculer");
const DbService = require("moleculer-db");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));

function entity(i) {
	return { title: `Post ${i}`, category: i % 10, votes: i % 100, author: `user${i % 50}` };
}

function packageVersion(name) {
	let dir = path.dirname(require.resolve(name));
	while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
	return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
}

function send(obj) {
	process.stdout.write(JSON.stringify(obj) + "\n");
}

/* Run makeCall(k) for k = 0, 1, ... until `budget` seconds have passed or `cap` calls are done;
 * `concurrency` > 1 issues the calls in batches of that size with Promise.all (measure() in db_bench.py). */
async function measure(makeCall, cap, concurrency) {
	const budgetNs = BigInt(Math.round(config.budget * 1e9));
	const start = process.hrtime.bigint();
	let done = 0;
	while (done < cap) {
		if (concurrency <= 1) {
			await makeCall(done);
			done += 1;
		} else {
			const size = Math.min(concurrency, cap - done);
			const batch = [];
			for (let j = 0; j < size; j++) batch.push(makeCall(done + j));
			await Promise.all(batch);
			done += size;
		}
		if (process.hrtime.bigint() - start >= budgetNs) break;
	}
	const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
	return { calls: done, rate: done / elapsed };
}

/* The same answer checks as check_answers() in db_bench.py: both sides must do the same, right, work. */
async function checkAnswers(broker, ids, n) {
	const doc = await broker.call("posts.get", { id: ids[7 % n] });
	const found = await broker.call("posts.find", { query: { category: 3 }, limit: 10 });
	const page = await broker.call("posts.list", { page: 5 });
	const count = await broker.call("posts.count", {});
	let matching = 0;
	for (let i = 3; i < n; i += 10) matching++;
	if (doc.title !== `Post ${7 % n}` || found.length !== Math.min(10, matching)
		|| found.some(row => row.category !== 3) || page.rows.length !== Math.min(10, Math.max(0, n - 40))
		|| page.total !== n || count !== n) {
		throw new Error(`wrong answers: ${JSON.stringify({ doc, found: found.length, total: page.total, count })}`);
	}
}

async function main() {
	const broker = new ServiceBroker({ logger: false, cacher: null });
	broker.createService({ name: "posts", mixins: [DbService] });
	await broker.start();

	const entities = [];
	for (let i = 0; i < config.entities; i++) entities.push(entity(i));
	const seeded = await broker.call("posts.insert", { entities });
	const ids = seeded.map(doc => doc._id);
	await checkAnswers(broker, ids, config.entities);
	const picks = config.get_indexes.map(i => ids[i]);
	const pick = k => picks[k % picks.length];

	let created = [];
	let removed = 0;
	const calls = {
		get: k => broker.call("posts.get", { id: pick(k) }),
		find: () => broker.call("posts.find", { query: { category: 3 }, limit: 10 }),
		list: () => broker.call("posts.list", { page: 5 }),
		count: () => broker.call("posts.count", {}),
		create: k => broker.call("posts.create", entity(config.entities + k)).then(doc => {
			created.push(doc._id);
		}),
		update: k => broker.call("posts.update", { id: pick(k), votes: (k * 7) % 100 }),
		remove: k => broker.call("posts.remove", { id: created[k] }),
	};
	send({ node: process.version, moleculer: ServiceBroker.MOLECULER_VERSION, "moleculer-db": packageVersion("moleculer-db") });

	const rl = readline.createInterface({ input: process.stdin });
	for await (const line of rl) {
		if (!line.trim()) continue;
		const msg = JSON.parse(line);
		if (msg.cmd === "run") {
			let cap = config.max_calls;
			if (msg.op === "create") cap = config.create_cap;
			if (msg.op === "remove") cap = created.length;
			const result = await measure(calls[msg.op], cap, msg.concurrency);
			if (msg.op === "remove") removed = result.calls;
			send(result);
		} else if (msg.cmd === "end_round") {
			for (const id of created.slice(removed)) await broker.call("posts.remove", { id });
			created = [];
			removed = 0;
			const count = await broker.call("posts.count", {});
			if (count !== config.entities) throw new Error(`dataset drifted to ${count} entities`);
			send({ entities: count });
		} else if (msg.cmd === "quit") {
			break;
		}
	}
	rl.close();
	process.stdin.destroy();
	await broker.stop();
	send({ bye: true });
}

main().catch(err => {
	process.stderr.write(String((err && err.stack) || err) + "\n");
	process.exit(1);
});
