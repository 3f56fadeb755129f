# SwiftPose: `make demo` runs the main job on the built-in data, `make test` runs the test suite.
# Both install the Debian packages the build needs first (Scripts/install-deps.sh, idempotent).
SWIFT ?= swift
BIN := .build/release/swiftpose
DEMO_DIR ?= demo-output

.PHONY: deps build test demo overfit bench clean

deps:
	bash Scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product swiftpose

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: build
	bash Scripts/demo.sh $(BIN) $(DEMO_DIR)

# Overfit check (issue 5): res18 at 128x96 on 16 coco-small people, loss must fall >= 10x (a few minutes; not in CI).
overfit: build
	bash Scripts/overfit.sh $(BIN) ../shared/data/coco-small

bench: build
	$(BIN) bench

clean:
	rm -rf .build $(DEMO_DIR)
