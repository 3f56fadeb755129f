# SwiftPose: `make demo` runs the main job on the built-in data, `make test` runs the test suite.
# Both install the Debian packages the build needs first (Scripts/install-deps.sh, idempotent).
SWIFT ?= swift
BIN := .build/release/swiftpose
DEMO_DIR ?= demo-output

.PHONY: deps build test demo bench clean

deps:
	bash Scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product swiftpose

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: build
	bash Scripts/demo.sh $(BIN) $(DEMO_DIR)

bench: build
	$(BIN) bench

clean:
	rm -rf .build $(DEMO_DIR)
