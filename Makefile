# tenet's own tasks. `make generate` compiles tenants/ into out/.
CARGO ?= cargo
TENET ?= $(CARGO) run --quiet --release --

.PHONY: generate validate test check diff

generate:
	$(TENET) generate

validate:
	$(TENET) validate

test:
	$(CARGO) test

# Fails (exit 1) when out/ is not exactly what `generate` would write.
check:
	$(TENET) check

# What a pull request changes, against the main branch.
diff:
	$(TENET) diff --base origin/main
