// Agentic coding prompts, shared by every IDE user (benign developers and the stealth farm's cover).
enum DevLang: Int, CaseIterable, Sendable {
    case py, ts, go, rs, java, swift
    var tag: String { ["py", "ts", "go", "rs", "java", "swift"][rawValue] }
}

extension GrammarBuilder {
    mutating func addDev() {
        let tasks = [
            "In {path_L}, {edit_action}",
            "In {path_L}, {edit_action}",
            "Run the tests for {module} and fix any failures",
            "run {test_cmd_L} and fix whatever is failing",
            "Explain this stack trace and find the root cause:\n{trace_L}",
            "I'm getting this when I run the app:\n{trace_L}\nwhat's going on?",
            "Refactor {func_L} in {path_L} to {refactor_goal}",
            "Add {feature} to the {component}",
            "Add {feature} to the {component}. {?Follow the existing patterns in {path_L}.}",
            "Why is {test_name_L} flaky? It fails about {#1-3} in {#5-20} runs on CI",
            "Write unit tests for {func_L} in {path_L}{? covering the edge cases}",
            "Find where we {code_smell} and clean it up",
            "{review_ask} {path_L}",
            "The {component} is slow when {slow_case}. Profile it and suggest a fix",
            "Migrate {path_L} from {migration_L}",
            "Implement {feature} behind a feature flag. Start by reading {path_L}",
            "Fix the lint errors in {module}",
            "Update the README to document {feature}",
            "CI is failing on {ci_step} with:\n{error_line_L}\nfix it",
            "Rename {func_L} to something clearer and update all call sites",
            "Can you look at {path_L}? {func_L} returns the wrong result when {edge_case}",
        ]
        let followups = [
            "tests still failing:\n{error_line_L}",
            "looks good, now {next_step}",
            "revert that and try {alternative}",
            "commit this with a good message",
            "ok. also check {path_L}",
            "that broke {test_name_L}",
            "can you explain why that fixes it?",
            "keep going",
            "yes, do it",
            "no, don't touch {path_L}, only change {path_L}",
            "run the full test suite again",
            "now {edit_action}",
            "same error:\n{error_line_L}",
            "good. open a PR description for this",
            "can you make the diff smaller?",
            "undo the change to {path_L}",
            "lgtm, now {next_step}",
        ]
        // What the IDE sends back after running a tool: the prompt of most agentic requests.
        let toolResults = [
            "[tool_result] $ {test_cmd_L}\n{#10-400} passed, {#1-9} failed in {#1-60}.{#10-99}s\n{error_line_L}",
            "[tool_result] $ {test_cmd_L}\nall {#10-400} tests passed in {#1-60}.{#10-99}s",
            "[tool_result] Read {path_L} (lines {#1-120}-{#121-400})",
            "[tool_result] The file {path_L} has been updated. {#1-40} lines changed.",
            "[tool_result] $ grep -rn \"{func_L}\" .\n{path_L}:{#10-300}\n{path_L}:{#10-300}\n{path_L}:{#10-300}",
            "[tool_result] $ git status\nOn branch {main|feature/{feature_slug}|fix/{feature_slug}}\nChanges not staged for commit:\n  modified:   {path_L}\n  modified:   {path_L}",
            "[tool_result] $ git diff --stat\n {path_L} | {#1-80} {+++--|++++|+-|++-}\n {#1-5} files changed, {#1-200} insertions(+), {#0-90} deletions(-)",
            "[tool_result] Command exited with code {#1-2}:\n{error_line_L}",
            "[tool_result] {trace_L}",
            "[tool_result] $ ls {src|lib|internal|tests}\n{path_L}\n{path_L}\n{path_L}",
            "[tool_result] Edit applied to {path_L}.",
            "[tool_result] No matches found for \"{func_L}\" in {src|tests|the repo}.",
        ]
        words("feature_slug", "rate-limit, csv-export, flaky-login-test, null-user, retry-backoff, pagination, sso, audit-log, bump-deps, cache-users")
        for lang in DevLang.allCases {
            rule("tool_result_\(lang.tag)", toolResults.map { $0.replacingL(lang.tag) })
            rule("dev_task_\(lang.tag)", tasks.map { $0.replacingL(lang.tag) })
            rule("dev_followup_\(lang.tag)", followups.map { $0.replacingL(lang.tag) })
        }
        words("module", "the auth module, the billing service, the api package, the CLI, the parser, the scheduler, the payments client, the search indexer, the data pipeline, the notification worker, the admin dashboard, the SDK, the caching layer, the importer")
        rule("edit_action", [
            "{add|handle} {edge_case_short} in {func_short}",
            "replace the hand-rolled retry loop with {retry_lib}",
            "make {func_short} return an error instead of panicking",
            "add logging around the {db|network|cache|queue} calls",
            "extract the validation logic into its own function",
            "change the default timeout from {#5-30}s to {#30-120}s",
            "remove the deprecated {func_short} and its usages",
            "add pagination to the list endpoint",
            "make the config loader read from environment variables too",
            "add type hints everywhere",
            "split this file into smaller modules",
            "fix the off-by-one error in the loop near line {#20-480}",
        ])
        words("edge_case_short", "empty input, a nil user, unicode names, negative amounts, duplicate ids, a missing config file, timeouts, very large files, concurrent writes, expired tokens")
        words("func_short", "parse_config, handleRequest, fetchUser, compute_totals, validateInput, render, sync_accounts, loadFixtures, normalize, retryWithBackoff, buildQuery, serialize")
        words("retry_lib", "tenacity, p-retry, backoff, a shared retry helper, exponential backoff with jitter")
        words("refactor_goal", "use async/await, remove the global state, be testable without a database, use dependency injection, avoid the N+1 queries, reduce the nesting, use a strategy pattern instead of the big switch, stream instead of loading everything into memory")
        words("feature", "rate limiting, CSV export, dark mode, a health check endpoint, audit logging, retries with backoff, request tracing, a --dry-run flag, caching of user lookups, input validation, SSO login, webhook signatures, soft delete, bulk import")
        words("component", "REST API, admin dashboard, CLI, worker, settings page, checkout flow, GraphQL resolver, background job, upload handler, mobile client")
        words("code_smell", "swallow exceptions, build SQL with string concatenation, duplicate the date formatting code, use magic numbers for status codes, read the whole file into memory, call the API in a loop")
        words("review_ask", "Review the changes in, Do a code review of, What would you improve in, Any bugs in, Explain what this file does:")
        words("slow_case", "there are more than {#1000-50000} rows, the user has many projects, the cache is cold, two requests come in at once, we export large reports")
        words("ci_step", "the lint step, the unit tests, the integration tests, the docker build, the type check, the e2e tests")
        words("edge_case", "the list is empty, the input has trailing whitespace, two users share an email, the timezone is not UTC, the amount is zero, the file has a BOM, the request is retried")
        words("next_step", "add tests for it, update the docs, clean up the imports, handle the error case too, make the same change in the other service, run the linter, bump the version")
        words("alternative", "a simpler approach, a lock instead, the library function, doing it in the database, a queue, memoizing it")
        // per-language bits
        words("path_py", "src/app/{api|models|services|utils}/{users|billing|auth|reports|jobs|search}.py, tests/test_{users|billing|auth|parser|jobs}.py, app/main.py, scripts/{migrate|backfill|seed}_data.py, src/pipeline/{ingest|transform|export}.py")
        words("path_ts", "src/{components|hooks|lib|pages|api}/{UserList|useAuth|client|Checkout|settings|Dashboard}.tsx, src/server/{routes|middleware|db}/{users|auth|orders}.ts, packages/{core|ui|sdk}/src/index.ts, test/{auth|orders}.test.ts")
        words("path_go", "internal/{server|store|auth|queue}/{handler|store|middleware|worker}.go, cmd/{api|worker|migrate}/main.go, pkg/{client|config}/{client|config}.go, internal/store/{users|orders}_test.go")
        words("path_rs", "src/{main|lib|config|parser|server}.rs, src/{db|api|cli}/mod.rs, crates/{core|net|storage}/src/lib.rs, tests/{integration|parser}.rs")
        words("path_java", "src/main/java/com/{acme|example|corp}/{service|controller|repo}/{User|Order|Invoice}{Service|Controller|Repository}.java, src/test/java/com/acme/{User|Order}ServiceTest.java, build.gradle")
        words("path_swift", "Sources/{App|Core|Networking}/{Client|Store|Parser|Router}.swift, Tests/{Core|App}Tests/{Parser|Store}Tests.swift, Package.swift")
        words("func_py", "parse_config, get_user_by_email, compute_invoice_total, sync_accounts, _retry_request, load_fixtures, normalize_address, build_report")
        words("func_ts", "fetchUser, useAuth, formatCurrency, handleSubmit, buildQuery, parseResponse, validateForm, createOrder")
        words("func_go", "HandleLogin, (*Store).GetUser, NewServer, parseFlags, processBatch, (*Worker).Run, validateToken")
        words("func_rs", "parse_args, Config::load, handle_connection, Store::insert, tokenize, retry_with_backoff, Frame::decode")
        words("func_java", "UserService.findByEmail, OrderController.create, InvoiceRepository.save, validateRequest, mapToDto, scheduleJob")
        words("func_swift", "Client.send, Store.load, Parser.parseHeader, Router.route, decodeResponse, refreshToken")
        words("test_cmd_py", "pytest, pytest -x tests/, python -m pytest -k {users|billing|auth}, tox -e py312")
        words("test_cmd_ts", "npm test, pnpm test, yarn jest {auth|orders}, npx vitest run")
        words("test_cmd_go", "go test ./..., go test -race ./internal/..., make test")
        words("test_cmd_rs", "cargo test, cargo test --workspace, cargo nextest run")
        words("test_cmd_java", "./gradlew test, mvn test, ./gradlew check")
        words("test_cmd_swift", "swift test, swift test --filter {Parser|Store}Tests, xcodebuild test")
        words("test_name_py", "test_create_user, test_invoice_rounding, test_login_expired_token, test_parse_empty_file, test_concurrent_sync")
        words("test_name_ts", "'renders the user list', 'handles 401 responses', 'creates an order', 'formats EUR amounts'")
        words("test_name_go", "TestHandleLogin, TestStore_GetUser, TestWorkerRetries, TestParseFlags")
        words("test_name_rs", "parses_empty_input, test_roundtrip, handles_timeout, config_defaults")
        words("test_name_java", "shouldCreateOrder, findByEmailReturnsEmpty, testInvoiceTotals")
        words("test_name_swift", "testParseHeader, testStoreLoadsCachedValues, testRouterFallback")
        words("migration_py", "requests to httpx, unittest to pytest, SQLAlchemy 1.4 to 2.0, setup.py to pyproject.toml, Flask to FastAPI")
        words("migration_ts", "class components to hooks, Jest to Vitest, CommonJS to ES modules, axios to fetch, Express to Fastify")
        words("migration_go", "the standard log package to slog, gorilla/mux to chi, database/sql to sqlc")
        words("migration_rs", "futures 0.1 to async/await, structopt to clap 4, failure to thiserror")
        words("migration_java", "JUnit 4 to JUnit 5, RestTemplate to WebClient, javax to jakarta")
        words("migration_swift", "completion handlers to async/await, XCTest to Swift Testing, Combine to AsyncSequence")
        rule("trace_py", [
            "Traceback (most recent call last):\n  File \"/app/{path_py}\", line {#10-400}, in {func_py}\n    {py_line}\n  File \"/app/{path_py}\", line {#10-400}, in {func_py}\n    {py_line}\n{py_exc}",
            "Traceback (most recent call last):\n  File \"/usr/lib/python3.{#9-12}/site-packages/{httpx|sqlalchemy|django|pydantic}/{_client|engine|base|main}.py\", line {#100-2000}, in {send|execute|get_response|validate}\n{py_exc}",
        ])
        words("py_line", "return self._session.execute(query), user = users[user_id], data = json.loads(body), total += item.price * item.qty, resp.raise_for_status(), await self.client.post(url\\, json=payload)")
        words("py_exc", "KeyError: 'customer_id', TypeError: unsupported operand type(s) for +: 'int' and 'NoneType', AttributeError: 'NoneType' object has no attribute 'email', sqlalchemy.exc.IntegrityError: duplicate key value violates unique constraint \"users_email_key\", httpx.ReadTimeout: timed out, json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0), pydantic.ValidationError: 1 validation error for Order")
        rule("trace_ts", ["{ts_exc}\n    at {func_ts} ({path_ts}:{#10-300}:{#5-40})\n    at {func_ts} ({path_ts}:{#10-300}:{#5-40})\n    at processTicksAndRejections (node:internal/process/task_queues:{#60-96}:{#5-9})"])
        words("ts_exc", "TypeError: Cannot read properties of undefined (reading 'map'), Error: connect ECONNREFUSED 127.0.0.1:5432, UnhandledPromiseRejection: Error: Request failed with status code 500, RangeError: Maximum call stack size exceeded, Error: Hydration failed because the initial UI does not match")
        rule("trace_go", ["panic: {go_exc}\n\ngoroutine {#1-400} [running]:\nmain.{func_go}(...)\n\t/src/{path_go}:{#10-300}\n{github.com/acme/api|example.com/svc}/internal.{func_go}()\n\t/src/{path_go}:{#10-300} +0x{#100-999}"])
        words("go_exc", "runtime error: invalid memory address or nil pointer dereference, runtime error: index out of range [{#1-9}] with length {#0-1}, assignment to entry in nil map, send on closed channel, sync: negative WaitGroup counter")
        rule("trace_rs", ["thread 'main' panicked at {path_rs}:{#10-300}:{#5-40}:\n{rs_exc}\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"])
        words("rs_exc", "called `Option::unwrap()` on a `None` value, called `Result::unwrap()` on an `Err` value: Os \\{ code: 2\\, kind: NotFound \\}, index out of bounds: the len is {#0-5} but the index is {#5-9}, attempt to subtract with overflow, already borrowed: BorrowMutError")
        rule("trace_java", ["Exception in thread \"main\" {java_exc}\n\tat com.acme.{func_java}({User|Order|Invoice}Service.java:{#20-400})\n\tat com.acme.{func_java}({User|Order}Controller.java:{#20-400})\n\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:{#800-900})"])
        words("java_exc", "java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"name\" is null, java.lang.IllegalStateException: Transaction already active, org.hibernate.LazyInitializationException: could not initialize proxy - no Session, java.util.ConcurrentModificationException")
        rule("trace_swift", ["Fatal error: {swift_exc}\n{path_swift}:{#10-300}: {func_swift}\nThread {#0-8} Crashed"])
        words("swift_exc", "Unexpectedly found nil while unwrapping an Optional value, Index out of range, Can't form Range with upperBound < lowerBound, Simultaneous accesses to 0x{#100000-999999}\\, but modification requires exclusive access")
        rule("error_line_py", ["FAILED tests/test_{users|billing|auth}.py::{test_name_py} - {py_exc}", "E   AssertionError: assert {#0-99} == {#100-200}", "mypy: error: Argument 1 to \"{func_py}\" has incompatible type \"str | None\"; expected \"str\""])
        rule("error_line_ts", ["FAIL {path_ts} > {test_name_ts}\n  Expected: {#0-99}\n  Received: undefined", "error TS2345: Argument of type 'string | undefined' is not assignable to parameter of type 'string'.", "{ts_exc}"])
        rule("error_line_go", ["--- FAIL: {test_name_go} ({#0-9}.{#10-99}s)\n    {path_go}:{#10-300}: got {#0-9}, want {#10-20}", "{path_go}:{#10-300}:{#2-30}: undefined: {func_go}"])
        rule("error_line_rs", ["error[E0{#300-599}]: {mismatched types|borrow of moved value|cannot borrow as mutable more than once at a time}\n --> {path_rs}:{#10-300}:{#5-40}", "test {test_name_rs} ... FAILED"])
        rule("error_line_java", ["{test_name_java}() FAILED\n    org.opentest4j.AssertionFailedError: expected: <{#1-9}> but was: <{#10-20}>", "error: cannot find symbol\n  symbol:   method {func_java}"])
        rule("error_line_swift", ["error: value of optional type 'String?' must be unwrapped", "XCTAssertEqual failed: (\"{#0-9}\") is not equal to (\"{#10-20}\") - {test_name_swift}"])
    }
}

extension String {
    /// Replaces the `_L}` suffix of slot names with the language tag.
    func replacingL(_ tag: String) -> String {
        let b = Array(utf8)
        var out: [UInt8] = []
        var i = 0
        while i < b.count {
            if i + 2 < b.count, b[i] == 95, b[i + 1] == 76, b[i + 2] == 125 {
                out.append(95); out.append(contentsOf: tag.utf8); out.append(125)
                i += 3
            } else {
                out.append(b[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
