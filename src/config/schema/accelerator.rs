//! `[[accelerator]]` and its sub-tables: specs, cloud prices, owned cost, efficiencies.

use super::{Check, Key, Kind, TableDecl, num, text};
use crate::config::{Family, ProviderClass, Term};

/// One chip: an `[[accelerator]]` entry.
pub static ACCELERATOR: TableDecl = TableDecl {
    name: "accelerator",
    list: true,
    doc: "One chip (per GPU / per chip, not per server), with its specs, prices and efficiencies.",
    keys: &[
        text(
            "id",
            "lower-case letters, digits and '-', at most 40 characters; used in --set and file names",
        )
        .required(),
        text("name", "display name in charts and tables; default the id"),
        Key::new("family", Kind::Choice(Family::NAMES), "", "chip family: colour group in charts").required(),
        text("vendor", "maker"),
        Key::new("year", Kind::Int { min: 1990, max: 2100 }, "", "first general availability").required(),
        Key::new(
            "dense_tflops",
            Kind::PrecisionMap {
                check: Check::Positive,
                range: true,
            },
            "TFLOPS",
            "dense (not sparse) peak per chip, per precision",
        )
        .required(),
        num("memory_gb", Check::Positive, "GB", "memory per chip, 1e9 bytes (or memory_gib)"),
        num(
            "memory_gib",
            Check::Positive,
            "GiB",
            "memory per chip where the source states GiB; converted to GB",
        )
        .alias_of("memory_gb"),
        num(
            "memory_tb_per_s",
            Check::Positive,
            "TB/s",
            "memory bandwidth per chip, 1e12 bytes/s (or memory_gib_per_s)",
        ),
        num(
            "memory_gib_per_s",
            Check::Positive,
            "GiB/s",
            "memory bandwidth where the source states GiB/s; converted",
        )
        .alias_of("memory_tb_per_s"),
        num("power_w", Check::Positive, "W", "chip power (TDP)").required(),
        num(
            "interconnect_gb_per_s",
            Check::Positive,
            "GB/s",
            "chip-to-chip bandwidth per chip, one direction (NVLink, ICI, NeuronLink): tensor-parallel all-reduces",
        ),
        Key::new("cloud", Kind::Table(&CLOUD), "", "v1 cloud prices: each key becomes one offer"),
        Key::new(
            "offer",
            Kind::Tables(&OFFER),
            "",
            "price offers: as many as there are public prices (economics.basis picks one market)",
        ),
        Key::new("owned", Kind::Table(&OWNED), "", "what owning the chip costs"),
        Key::new("efficiency", Kind::Table(&EFFICIENCY), "", "achieved shares of peak"),
    ],
};

/// `[[accelerator.offer]]`: one price of one chip (MODEL.md "Price of one chip-hour").
pub static OFFER: TableDecl = TableDecl {
    name: "accelerator.offer",
    list: true,
    doc: "One price offer: who sells the chip-hour, on what term, at how much. `--set` addresses it as accelerator.<chip>.offer.<id>, the id being `id` or else <provider>-<term> lowercased with '-'.",
    keys: &[
        text("id", "how --set addresses the offer; default <provider>-<term>, e.g. aws-on-demand"),
        text("provider", "who sells it, e.g. \"AWS\", \"CoreWeave\"").required(),
        Key::new(
            "provider_class",
            Kind::Choice(&ProviderClass::NAMES),
            "",
            "hyperscaler | neocloud | negotiated (a planner's own price: wins for its term, marked)",
        )
        .required(),
        Key::new("term", Kind::Choice(&Term::ACCEPTED), "", "contract term of the price").required(),
        text("instance", "the instance the price is for, e.g. \"p5.48xlarge\""),
        Key::new(
            "chips_per_instance",
            Kind::Int { min: 1, max: 1_000_000 },
            "",
            "chips in the instance (divides usd_per_instance_hour)",
        ),
        num(
            "usd_per_chip_hour",
            Check::Positive,
            "USD/chip-hour",
            "price per chip-hour (or usd_per_instance_hour)",
        ),
        num(
            "usd_per_instance_hour",
            Check::Positive,
            "USD/instance-hour",
            "price per instance-hour; divided by chips_per_instance",
        ),
        text("region", "where the price applies"),
        Key::new("estimate", Kind::Bool, "", "true: the price is an estimate, not a quoted figure"),
    ],
};

/// `[accelerator.cloud]`: cloud prices per chip-hour (v1; each becomes one offer).
pub static CLOUD: TableDecl = TableDecl {
    name: "accelerator.cloud",
    list: false,
    doc: "Cloud prices of one chip (v1 keys: each price becomes one [[accelerator.offer]]).",
    keys: &[
        num(
            "on_demand_usd_per_chip_hour",
            Check::Positive,
            "USD/chip-hour",
            "on-demand price per chip (instance price / chips)",
        ),
        num(
            "committed_usd_per_chip_hour",
            Check::Positive,
            "USD/chip-hour",
            "committed-use price per chip",
        ),
        text("instance", "the instance the price is for, e.g. \"p5.48xlarge (8 chips)\""),
        text("provider", "who sells it; default \"cloud\""),
        Key::new(
            "provider_class",
            Kind::Choice(&ProviderClass::NAMES),
            "",
            "class of both offers; default hyperscaler",
        ),
        text("region", "where the prices apply"),
    ],
};

/// `[accelerator.owned]`: purchase price and system share.
pub static OWNED: TableDecl = TableDecl {
    name: "accelerator.owned",
    list: false,
    doc: "What owning the chip costs (basis `owned`).",
    keys: &[
        num(
            "chip_usd",
            Check::Positive,
            "USD",
            "price of one chip (for chips their maker does not sell: an internal cost estimate)",
        )
        .required(),
        num(
            "system_overhead",
            Check::NonNegative,
            "share of chip_usd",
            "overrides economics.system_overhead",
        ),
        num(
            "vendor_gross_margin",
            Check::Share,
            "share of chip_usd",
            "the vendor's margin in chip_usd (its own TCO segment)",
        ),
    ],
};

/// `[accelerator.efficiency]`: achieved shares of peak.
pub static EFFICIENCY: TableDecl = TableDecl {
    name: "accelerator.efficiency",
    list: false,
    doc: "Achieved shares of peak compute and bandwidth.",
    keys: &[
        Key::new(
            "training_mfu",
            Kind::NumberOrPrecisionMap { check: Check::Fraction },
            "share of dense peak",
            "steady-state training MFU, attention FLOPs counted: one for every precision, or per precision { bf16 = .., fp8 = .. }; absent: not costed for training",
        ),
        num(
            "serving_mfu",
            Check::Fraction,
            "share of dense peak",
            "serving step model: share of dense peak in GEMMs and attention",
        ),
        num(
            "weight_bw_eff",
            Check::Fraction,
            "share of memory bandwidth",
            "serving step model: share of bandwidth reached streaming weights",
        ),
        num(
            "kv_bw_eff",
            Check::Fraction,
            "share of memory bandwidth",
            "serving step model: share of bandwidth reached reading the KV cache; default weight_bw_eff",
        ),
        num(
            "step_overhead_us_per_layer",
            Check::NonNegative,
            "us per layer",
            "serving step model: fixed cost per layer per step (kernel launches, sync); default 0",
        ),
        num(
            "tp_overhead_us_per_layer",
            Check::NonNegative,
            "us per layer",
            "serving step model: extra cost per layer per step when a replica spans chips; default 0",
        ),
        num(
            "moe_efficiency",
            Check::Fraction,
            "share of dense efficiency",
            "serving step model: MoE GEMM efficiency relative to dense (routing, small GEMMs); default 1",
        ),
        num(
            "prefill_mfu",
            Check::Fraction,
            "share of dense peak",
            "v1 key (roofline), still read with a warning",
        )
        .alias_of("serving_mfu"),
        num(
            "decode_mfu",
            Check::Fraction,
            "share of dense peak",
            "v1 key (roofline), read and ignored with a warning",
        )
        .alias_of("serving_mfu"),
        num(
            "decode_mbu",
            Check::Fraction,
            "share of memory bandwidth",
            "v1 key (roofline), still read with a warning",
        )
        .alias_of("weight_bw_eff"),
    ],
};
