//! Command-line interface (docs/cli.md): one binary, subcommands, config options on every one.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "accel-cost",
    version,
    about = "What AI training and inference cost on NVIDIA and AMD GPUs, AWS Trainium/Inferentia and Google TPUs",
    after_help = "Examples:\n  accel-cost report                       charts, tables and report.md into output/\n  accel-cost compare --format markdown    every workload x accelerator\n  accel-cost explain --workload dense-70b --accelerator tpu-v6e\n  accel-cost validate --set economics.basis=owned"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct ConfigArgs {
    /// Config file or folder (repeatable; a folder means every *.toml below it). Default: configs/
    #[arg(short = 'c', long = "config", value_name = "PATH", global = true)]
    pub configs: Vec<PathBuf>,
    /// Override one value after merging, e.g. --set economics.basis=owned (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE", global = true)]
    pub sets: Vec<String>,
    /// No warnings or progress on stderr (errors still print)
    #[arg(short = 'q', long = "quiet", global = true)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The main job: every chart, its CSV, summary.json and report.md
    #[command(after_help = "Example:\n  accel-cost report -o output --format both --scale 2")]
    Report {
        /// Output folder
        #[arg(short = 'o', long = "out", default_value = "output")]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t = ImageFormat::Png)]
        format: ImageFormat,
        /// Image scale: 1 = 1600x1000, 2 = 3200x2000 for print
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4))]
        scale: u32,
    },
    /// The cost table of every workload x accelerator
    #[command(
        after_help = "Examples:\n  accel-cost compare\n  accel-cost compare --workload chat-70b --format csv\n  accel-cost compare --set economics.basis=owned --format json"
    )]
    Compare {
        /// Only this workload
        #[arg(long)]
        workload: Option<String>,
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
    },
    /// One workload's figures
    #[command(after_help = "Example:\n  accel-cost estimate --workload dense-70b --accelerator h100-sxm --json")]
    Estimate {
        #[arg(long)]
        workload: String,
        /// Only this accelerator
        #[arg(long)]
        accelerator: Option<String>,
        /// JSON (the stable shape of docs/cli.md) instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Every step of one figure, each input with its value, unit and file:line
    #[command(after_help = "Example:\n  accel-cost explain --workload chat-70b --accelerator inf2")]
    Explain {
        #[arg(long)]
        workload: String,
        #[arg(long)]
        accelerator: String,
    },
    /// Predicted vs reported chip-hours of public training runs
    #[command(after_help = "Example:\n  accel-cost calibrate --json\n  accel-cost calibrate --fit")]
    Calibrate {
        #[arg(long)]
        json: bool,
        /// Fit the efficiencies (training MFU on the runs, serving on the benchmarks); print cross-validated errors and the TOML to paste
        #[arg(long)]
        fit: bool,
    },
    /// What a fleet of one accelerator costs and does: chips, capex, yearly cost, power, PFLOP/s, tokens/day
    #[command(
        after_help = "Examples:\n  accel-cost fleet --accelerator tpu7x --chips 1000000\n  accel-cost fleet --accelerator trn2 --budget-usd 200e9 --json\n  accel-cost fleet --accelerator b200 --power-mw 1000",
        group(clap::ArgGroup::new("size").required(true).args(["chips", "budget_usd", "power_mw"]))
    )]
    Fleet {
        #[arg(long)]
        accelerator: String,
        /// This many chips
        #[arg(long)]
        chips: Option<f64>,
        /// As many chips as this capex buys (chips, servers, buildings), USD
        #[arg(long = "budget-usd")]
        budget_usd: Option<f64>,
        /// As many chips as this facility power holds, MW
        #[arg(long = "power-mw")]
        power_mw: Option<f64>,
        /// JSON (docs/cli.md "fleet") instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Load and check the configs; print what was loaded
    #[command(
        after_help = "Examples:\n  accel-cost validate -c configs --set accelerator.h100-sxm.cloud.on_demand_usd_per_chip_hour=2\n  accel-cost validate --defaults"
    )]
    Validate {
        /// List every built-in default the configs leave in place, one per line with its value (without: a summary by key)
        #[arg(long)]
        defaults: bool,
    },
    /// The JSON Schema of the config files (for taplo / Even Better TOML), or the key reference
    #[command(
        after_help = "Examples:\n  accel-cost schema > accel-cost.schema.json\n  accel-cost schema --format markdown > docs/config-keys.md"
    )]
    Schema {
        #[arg(long, value_enum, default_value_t = SchemaFormat::Json)]
        format: SchemaFormat,
    },
    /// A shell completion script
    #[command(after_help = "Example:\n  accel-cost completions bash > ~/.local/share/bash-completion/completions/accel-cost")]
    Completions {
        /// bash, zsh, fish, powershell or elvish
        shell: clap_complete::Shell,
    },
    /// Write a commented starter config folder
    #[command(after_help = "Example:\n  accel-cost init my-configs && accel-cost validate -c my-configs")]
    Init {
        /// Folder to create (must not exist or be empty)
        dir: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImageFormat {
    Png,
    Svg,
    Both,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    Table,
    Csv,
    Json,
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaFormat {
    /// JSON Schema (draft-07)
    Json,
    /// The key reference, as docs/config-keys.md
    Markdown,
}
