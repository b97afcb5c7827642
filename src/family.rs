//! The chip families, in one table: config name, legend word, colour, marker, and whether the
//! maker sells the chip. A new family is one row of [`families!`] below; the compiler then
//! points at every `match` that must handle it. Charts never see a family, only its [`Look`].

use crate::chart::style::{GPU_GREEN, INFERENTIA_PURPLE, OTHER_GREY, TPU_BLUE, TRAINIUM_ORANGE};
use crate::chart::{Look, Marker};

/// Declares [`Family`] and its table. Each row: variant, config name (`family = "..."`),
/// legend word, base colour, marker standing for the family in scatter charts, and whether
/// the maker sells the chip (false: an owned `chip_usd` is an internal cost estimate).
macro_rules! families {
    ($($variant:ident => $name:literal, $legend:literal, $color:expr, $marker:ident, sold_by_maker: $sold:literal;)*) => {
        /// A chip family (`accelerator.family`): decides colour, marker and legend group.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Family {
            $($variant,)*
        }

        impl Family {
            /// Every family, in table (legend) order.
            pub const ALL: &'static [Family] = &[$(Family::$variant,)*];
            /// The config names, in table order.
            pub const NAMES: &'static [&'static str] = &[$($name,)*];

            /// The family a config name means, if any.
            pub fn parse(s: &str) -> Option<Family> {
                match s {
                    $($name => Some(Family::$variant),)*
                    _ => None,
                }
            }

            /// The config name, e.g. "trainium".
            pub fn name(self) -> &'static str {
                match self {
                    $(Family::$variant => $name,)*
                }
            }

            /// How charts draw the family: its rank (legend order), colour, marker and legend word.
            pub fn look(self) -> Look {
                match self {
                    $(Family::$variant => Look {
                        rank: self as u8,
                        color: $color,
                        marker: Marker::$marker,
                        legend: $legend,
                    },)*
                }
            }

            /// Whether the maker sells the chip. TPU, Trainium and Inferentia are rented only:
            /// an owned `chip_usd` of these is an internal cost estimate, and is labelled so.
            pub fn sold_by_maker(self) -> bool {
                match self {
                    $(Family::$variant => $sold,)*
                }
            }
        }
    };
}

families! {
    Gpu => "gpu", "GPU", GPU_GREEN, Circle, sold_by_maker: true;
    Trainium => "trainium", "Trainium", TRAINIUM_ORANGE, Triangle, sold_by_maker: false;
    Inferentia => "inferentia", "Inferentia", INFERENTIA_PURPLE, Diamond, sold_by_maker: false;
    Tpu => "tpu", "TPU", TPU_BLUE, Square, sold_by_maker: false;
    Other => "other", "Other", OTHER_GREY, Cross, sold_by_maker: true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_parses_back_from_its_name_and_ranks_in_table_order() {
        for (k, f) in Family::ALL.iter().enumerate() {
            assert_eq!(Family::parse(f.name()), Some(*f));
            assert_eq!(Family::NAMES[k], f.name());
            assert_eq!(usize::from(f.look().rank), k);
        }
        assert_eq!(Family::parse("GPU"), None);
    }
}
