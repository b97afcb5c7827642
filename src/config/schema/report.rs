//! `[report]`: what `accel-cost report` draws.

use super::{Check, Key, Kind, TableDecl, text};

const fn plain(name: &'static str, unit: &'static str, doc: &'static str) -> Key {
    Key::new(
        name,
        Kind::Number {
            check: Check::Positive,
            range: false,
        },
        unit,
        doc,
    )
}

/// `[report]`.
pub static REPORT: TableDecl = TableDecl {
    name: "report",
    list: false,
    doc: "What `accel-cost report` draws.",
    keys: &[
        text("title", "report title; default \"The compute cost revolution\""),
        Key::new(
            "accelerators",
            Kind::RefList("accelerator"),
            "",
            "subset to draw; default all (leave the key out: `[]` is an error). An id given twice is a warning and drawn once",
        ),
        Key::new(
            "reference",
            Kind::Ref("accelerator"),
            "",
            "baseline for ratios and break-even; default h100-sxm",
        ),
        Key::new(
            "inference_workload",
            Kind::Ref("inference"),
            "",
            "workload behind the inference curves; default the first",
        ),
        Key::new(
            "training_workload",
            Kind::Ref("training"),
            "",
            "workload behind tornado and break-even; default the first",
        ),
        Key::new(
            "tornado_accelerator",
            Kind::Ref("accelerator"),
            "",
            "chip of the tornado chart; default the cheapest non-GPU",
        ),
        plain("fleet_budget_usd", "USD", "budget of the fleet chart").default(1e9),
        plain("fleet_power_mw", "MW", "facility power of the fleet chart's second question").default(1000.0),
        plain(
            "price_performance_doubling_years",
            "years",
            "GPU price-performance doubling time (Epoch AI, 2.07 years); kept for configs that set it, no chart draws it since price-performance was retired",
        )
        .default(2.07),
        Key::new(
            "max_chips_per_replica",
            Kind::Int { min: 1, max: 1_000_000 },
            "chips",
            "largest tensor-parallel replica the serving model considers; default 64",
        ),
        Key::new(
            "use_measured",
            Kind::Bool,
            "",
            "deprecated and ignored (benchmarks check the model in calibrate, never replace it)",
        ),
        Key::new(
            "charts",
            Kind::StrList,
            "",
            "charts to draw, by name: batch, interactivity, input-output, cost-over-time-training, cost-over-time-inference, tco, fleet, headline, tornado, break-even; default all (leave the key out: `[]` is an error). A name given twice is a warning; a retired name (model-size, utilization) is a warning naming the chart that shows its figures, and a list of retired names only is an error",
        ),
        Key::new(
            "training_sweep",
            Kind::Table(&TRAINING_SWEEP),
            "",
            "x axis of the training-cost curves",
        ),
        Key::new(
            "inference_sweep",
            Kind::Table(&INFERENCE_SWEEP),
            "",
            "x axis of the inference-cost curves",
        ),
        Key::new("monte_carlo", Kind::Table(&MONTE_CARLO), "", "uncertainty bands"),
    ],
};

/// `report.training_sweep`.
pub static TRAINING_SWEEP: TableDecl = TableDecl {
    name: "report.training_sweep",
    list: false,
    doc: "Model sizes of the training-cost curves.",
    keys: &[
        Key::new("params_b", Kind::Pair, "billion parameters", "[from, to]; default [1, 2000]"),
        plain("tokens_per_param", "tokens/parameter", "training tokens per parameter").default(20.0),
    ],
};

/// `report.inference_sweep`.
pub static INFERENCE_SWEEP: TableDecl = TableDecl {
    name: "report.inference_sweep",
    list: false,
    doc: "Batch sizes of the inference-cost curves.",
    keys: &[Key::new("batch", Kind::Pair, "sequences", "[from, to]; default [1, 512]")],
};

/// `report.monte_carlo`.
pub static MONTE_CARLO: TableDecl = TableDecl {
    name: "report.monte_carlo",
    list: false,
    doc: "Seeded Monte Carlo over every ranged input.",
    keys: &[
        Key::new(
            "samples",
            Kind::Int { min: 1, max: 1_000_000 },
            "draws",
            "number of draws; default 2000",
        ),
        Key::new("seed", Kind::Int { min: 0, max: i64::MAX }, "", "random seed; default 42"),
    ],
};
