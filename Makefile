# slotbook — the two commands: `make dev` and `make test`.
# sam build calls the build-<LogicalId> targets (BuildMethod: makefile).

GO       ?= go
PORT     ?= 3000
PKGS     := ./...

# DynamoDB Local: the official jar, shipped in an npm package (pinned).
TOOLS    := .tools
DDB_PKG  := amplify-dynamodb-simulator@2.9.30
DDB_DIR  := $(TOOLS)/dynamodb-local/package/emulator
DDB_JAR  := $(DDB_DIR)/DynamoDBLocal.jar
DDB_PORT ?= 8000
WEB_DEPS := web/node_modules/.package-lock.json
# MailDev, the local mail catcher (make dev, and the mail tests): pinned by
# the lock beside its test kit, installed into .tools/maildev.
MAILDEV_SRC := pkg/mail/maildevtest
MAILDEV     := $(TOOLS)/maildev/node_modules/.package-lock.json
MAIL_PORT   ?= 1080
SMTP_PORT   ?= 1025

.PHONY: dev dev-dynamodb test tools e2e vet fmt-check template-lint layout-check unit bench build deploy \
	build-SlotsFunction build-BookFunction build-OverviewFunction build-SettingsFunction build-NotifyFunction

## dev: the local server with the embedded store (or SLOTBOOK_DYNAMODB_ENDPOINT), the demo company, and MailDev catching its mails (read them on http://localhost:$(MAIL_PORT)/)
dev: $(MAILDEV)
	@node $(TOOLS)/maildev/node_modules/maildev/dist/bin/maildev.js --smtp $(SMTP_PORT) --ip 127.0.0.1 \
		--web $(MAIL_PORT) --web-ip 127.0.0.1 --silent & md=$$!; \
	trap 'kill $$md 2>/dev/null' INT TERM; \
	echo "Mails: http://localhost:$(MAIL_PORT)/ (MailDev; SMTP on localhost:$(SMTP_PORT))"; \
	SLOTBOOK_SMTP_URL=$${SLOTBOOK_SMTP_URL:-smtp://127.0.0.1:$(SMTP_PORT)} PORT=$(PORT) $(GO) run ./cmd/devserver; \
	rc=$$?; kill $$md 2>/dev/null; exit $$rc

$(MAILDEV): $(MAILDEV_SRC)/package.json $(MAILDEV_SRC)/package-lock.json
	@command -v npm >/dev/null || { apt-get update && apt-get install -y npm; }
	mkdir -p $(TOOLS)/maildev
	cp $(MAILDEV_SRC)/package.json $(MAILDEV_SRC)/package-lock.json $(TOOLS)/maildev/
	cd $(TOOLS)/maildev && npm ci --no-audit --no-fund --loglevel=error

## dev-dynamodb: DynamoDB Local (data kept in .tools/dynamodb-data) and the local server on it
dev-dynamodb: tools
	@mkdir -p $(TOOLS)/dynamodb-data
	@java -Djava.library.path=$(DDB_DIR)/DynamoDBLocal_lib -jar $(DDB_JAR) -sharedDb \
		-dbPath $(TOOLS)/dynamodb-data -port $(DDB_PORT) >$(TOOLS)/dynamodb-local.log 2>&1 & ddb=$$!; \
	trap 'kill $$ddb 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 1 150); do curl -s -o /dev/null http://localhost:$(DDB_PORT) && break; sleep 0.2; done; \
	SLOTBOOK_DYNAMODB_ENDPOINT=http://localhost:$(DDB_PORT) SLOTBOOK_TABLE=$${SLOTBOOK_TABLE:-slotbook} \
		PORT=$(PORT) $(GO) run ./cmd/devserver

## test: vet, gofmt check, cfn-lint of template.yaml and every test, DynamoDB Local included (the command CI runs)
test: tools fmt-check vet template-lint layout-check unit

## tools: what the tests need besides Go — Java 17, the DynamoDB Local jar, Radicale, Chromium, playwright-core, MailDev
tools: $(DDB_JAR) $(WEB_DEPS) $(MAILDEV)
	@command -v java >/dev/null || { apt-get update && apt-get install -y openjdk-17-jre-headless; }
	@command -v radicale >/dev/null || { apt-get update && apt-get install -y radicale; }
	@command -v xandikos >/dev/null || { apt-get update && apt-get install -y xandikos; }
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium; }

# playwright-core drives Debian's chromium; it never downloads a browser.
$(WEB_DEPS): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { apt-get update && apt-get install -y npm; }
	cd web && npm ci --no-audit --no-fund

## e2e: only the browser tests (widget and dashboard in headless Chromium); screenshots in .build/e2e
e2e: tools
	$(GO) test -count=1 -v -run TestBrowser ./cmd/devserver

$(DDB_JAR):
	@command -v npm >/dev/null || { apt-get update && apt-get install -y npm; }
	mkdir -p $(TOOLS)/dynamodb-local
	cd $(TOOLS)/dynamodb-local && tgz=$$(npm pack --silent $(DDB_PKG)) && tar xzf $$tgz && rm $$tgz

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

# AWS's linter with the SAM translator; preinstalled on the machine image
# (elsewhere: pipx install cfn-lint). Missing under CI=true is a failure.
template-lint:
	@if command -v cfn-lint >/dev/null 2>&1; then \
		echo "cfn-lint template.yaml"; cfn-lint template.yaml; \
	elif [ "$$CI" = "true" ]; then \
		echo "cfn-lint is required under CI=true (pipx install cfn-lint)" >&2; exit 1; \
	else \
		echo "cfn-lint is not installed: template.yaml is not linted (pipx install cfn-lint)" >&2; \
	fi

## layout-check: README's layout table names every package folder, and only folders that exist
layout-check:
	@sec=$$(sed -n '/^## Layout/,/^## [^L]/p' README.md); fail=0; \
	for d in $$($(GO) list -f '{{.Dir}}' $(PKGS)); do r=$${d#$$(pwd -P)/}; \
		case "$$sec" in *"\`$$r/\`"*) ;; *) echo "README.md, Layout: $$r/ is missing" >&2; fail=1;; esac; \
	done; \
	for p in $$(printf '%s\n' "$$sec" | grep -o '`[a-z][a-z0-9_/.-]*/`' | tr -d '`'); do \
		test -d "$$p" || { echo "README.md, Layout: $$p does not exist" >&2; fail=1; }; \
	done; \
	exit $$fail

# One DynamoDB Local for every test binary: eight JVMs starting side by side
# on two cores cost more than the tests themselves. Each test makes its own
# table (dynamotest.TableName), so packages share the server, not data.
# Without SLOTBOOK_TEST_DYNAMODB_ENDPOINT (plain go test) each binary starts
# its own and stops it when it ends (pkg/store/dynamo/dynamotest).
# -p 3: the browser tests mostly wait on Chromium, so a third package keeps
# both cores busy. -timeout 30m: on a machine whose Go cache has never seen
# the Lambda build's flags (-trimpath, CGO_ENABLED=0), pkg/aws/lambdatest
# compiles msgraph-sdk-go from cold beside two other test packages, which
# has taken longer than go test's default 10 minutes.
unit: $(DDB_JAR)
	@port=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'); \
	(cd $(DDB_DIR) && exec java -Djava.library.path=DynamoDBLocal_lib -jar DynamoDBLocal.jar \
		-inMemory -port $$port) >$(TOOLS)/dynamodb-test.log 2>&1 & ddb=$$!; \
	trap 'kill $$ddb 2>/dev/null' INT TERM; \
	for i in $$(seq 1 150); do curl -s -o /dev/null http://127.0.0.1:$$port && break; sleep 0.2; done; \
	SLOTBOOK_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$$port $(GO) test -race -count=1 -p 3 -timeout 30m $(PKGS); \
	rc=$$?; kill $$ddb 2>/dev/null; exit $$rc

## bench: the slot engine, calendar fan-out, Lambda cold start and binary size benchmarks (BENCH=regexp to narrow, COUNT=n to repeat)
BENCH ?= .
COUNT ?= 6
bench: tools
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count $(COUNT) ./pkg/schedule/ ./pkg/httpapi/ ./pkg/aws/lambdatest/

## build: the five Lambda bootstraps as sam build makes them, into .build/<Function>/bootstrap
FUNCTIONS := SlotsFunction BookFunction OverviewFunction SettingsFunction NotifyFunction
build:
	@for f in $(FUNCTIONS); do \
		$(MAKE) --no-print-directory build-$$f ARTIFACTS_DIR=$(CURDIR)/.build/$$f || exit 1; \
	done
	@ls -l .build/*/bootstrap

## deploy: build and deploy with AWS SAM (asks for the parameters; see README, Deploying)
deploy:
	sam build && sam deploy --guided

# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set.
LAMBDA_BUILD := CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -tags lambda.norpc -ldflags='-s -w'

build-SlotsFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/slots

build-BookFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/book

build-OverviewFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/overview

build-SettingsFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/settings

build-NotifyFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/notify
