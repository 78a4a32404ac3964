//! Calibration, simulation and tuning from a database: the filtered events prepared under a starting profile,
//! the calibration with its provenance, the provenance of tuned budget rules, and the report's cost curve.

use std::collections::BTreeMap;

use tel_core::estimator::{Estimator, Profile};
use tel_core::{BucketScheme, Complexity, TelemetryEvent, Timestamp, ValidityGuard};
use tel_store::coefficients::{Provenance, TimeRange};
use tel_store::{DbConn, EventQuery, StoreError, for_each_event};

use super::DbError;
use crate::calibrate::events::{Prepared, apply_model, prior_model};
use crate::calibrate::{
    CvConfig, CvReport, Fit, Method, Stratum, StratumBudget, budget_multipliers, cross_validate,
};
use crate::report::format;
use crate::tune::{
    CURVE_TARGETS, CurvePoint, TuneConfig, TuneReport, confidence_z, cost_curve, tune_events,
};

/// Stored events read and prepared under one starting profile.
#[derive(Debug, Clone)]
pub struct Source {
    /// The prepared events.
    pub prepared: Prepared,
    /// Events read (before eligibility).
    pub events: u64,
    /// First and last event timestamp read.
    pub time_range: Option<(Timestamp, Timestamp)>,
}

/// Streams the events matching `query` from `conn` and prepares them with `estimator`.
pub fn read_source(
    conn: &mut DbConn,
    query: &EventQuery,
    estimator: &Estimator,
) -> Result<Source, StoreError> {
    let mut prepared = Prepared::default();
    let mut time_range: Option<(Timestamp, Timestamp)> = None;
    let min_actual = ValidityGuard::LEGACY_MIN_ACTUAL_OUTPUT_TOKENS;
    let events = for_each_event(
        conn,
        query,
        |event: TelemetryEvent| -> Result<(), StoreError> {
            let t = event.timestamp;
            time_range = Some(match time_range {
                None => (t, t),
                Some((from, to)) => (from.min(t), to.max(t)),
            });
            prepared.push(&event, estimator, min_actual);
            Ok(())
        },
    )?;
    Ok(Source {
        prepared,
        events,
        time_range,
    })
}

/// Which stored events calibration, simulation and tuning read, as the user wrote them (the provenance
/// keeps the text); every filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceFilters {
    /// Only events of this run.
    pub run_id: Option<String>,
    /// Only events with this exact (raw) category.
    pub category: Option<String>,
    /// Only events with this complexity.
    pub complexity: Option<Complexity>,
    /// Only events at or after this time.
    pub since: Option<String>,
    /// Only events strictly before this time.
    pub until: Option<String>,
    /// Only events whose builder succeeded.
    pub success_only: bool,
}

impl SourceFilters {
    /// The store query of these filters, oldest first.
    pub fn query(&self) -> Result<EventQuery, DbError> {
        let time = |filter: &'static str, text: &Option<String>| {
            text.as_deref()
                .map(|t| Timestamp::parse(t).map_err(|source| DbError::Filter { filter, source }))
                .transpose()
        };
        Ok(EventQuery {
            run_id: self.run_id.clone(),
            category: self.category.clone(),
            complexity: self.complexity,
            success: self.success_only.then_some(true),
            since: time("since", &self.since)?,
            until: time("until", &self.until)?,
            ..EventQuery::default()
        })
    }

    /// The filters given, as a provenance table.
    pub fn provenance_table(&self) -> toml::Table {
        let mut filters = toml::Table::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(v) = value {
                filters.insert(key.to_owned(), toml::Value::String(v));
            }
        };
        put("run_id", self.run_id.clone());
        put("category", self.category.clone());
        put("complexity", self.complexity.map(|c| c.as_str().to_owned()));
        put("since", self.since.clone());
        put("until", self.until.clone());
        put("success", self.success_only.then(|| "true".to_owned()));
        filters
    }
}

/// The filtered events prepared under a starting profile: the input of calibration, simulation and tuning.
#[derive(Debug, Clone)]
pub struct EventSource {
    /// The starting profile.
    pub profile: Profile,
    /// Events read.
    pub events: u64,
    /// Prepared observations and simulation events.
    pub prepared: Prepared,
    /// First and last event time, as timestamp text.
    pub time_range: Option<(String, String)>,
    /// The filters the events were read with.
    pub filters: SourceFilters,
}

impl EventSource {
    /// The time range as a provenance entry.
    fn provenance_time_range(&self) -> Option<TimeRange> {
        self.time_range.as_ref().map(|(from, to)| TimeRange {
            from: from.clone(),
            to: to.clone(),
        })
    }
}

/// Reads the events matching `filters` from `conn` and prepares them under `profile`.
pub fn load_source(
    conn: &mut DbConn,
    profile: Profile,
    filters: SourceFilters,
) -> Result<EventSource, DbError> {
    let source = read_source(conn, &filters.query()?, &Estimator::new(profile.clone()))?;
    Ok(EventSource {
        profile,
        events: source.events,
        prepared: source.prepared,
        time_range: source
            .time_range
            .map(|(a, b)| (a.to_sql_text(), b.to_sql_text())),
        filters,
    })
}

/// How to calibrate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationSettings {
    /// The fitting method.
    pub method: Method,
    /// Folds, fold seed and the minimum non-truncated events per fitted coefficient.
    pub cv: CvConfig,
    /// Also compute per-stratum budget multipliers at this target quantile.
    pub quantile: Option<f64>,
}

/// A calibration's results: the fit, its cross-validation, the calibrated profile and its provenance.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// The fitted coefficients, before and after.
    pub fit: Fit,
    /// Out-of-sample scores of the prior and the refit.
    pub cv: CvReport,
    /// Per-stratum budget multipliers, when a quantile was asked for.
    pub budgets: Option<BTreeMap<Stratum, StratumBudget>>,
    /// The starting profile with the fitted overheads and prices.
    pub calibrated: Profile,
    /// Where the out-of-sample refit does worse than the prior, in words (empty when it does not).
    pub worse_than_prior: Vec<String>,
    /// What the coefficients file records about how it was made.
    pub provenance: Provenance,
}

/// Fits `source.profile`'s overhead model to `source`'s observations, cross-validated.
pub fn calibrate(
    source: &EventSource,
    settings: &CalibrationSettings,
) -> Result<Calibration, DbError> {
    let profile = &source.profile;
    let prior = prior_model(profile).ok_or_else(|| DbError::NoOverheadModel {
        profile: profile.id.clone(),
    })?;
    let observations = &source.prepared.observations;
    let fit = settings
        .method
        .fit(&prior, observations, settings.cv.min_samples)?;
    let cv = cross_validate(settings.method, &prior, observations, &settings.cv)?;
    let budgets = settings
        .quantile
        .map(|q| budget_multipliers(&fit.model, observations, q));
    let calibrated = apply_model(profile, &fit.model);
    let provenance = calibration_provenance(source, settings, &cv, budgets.as_ref(), &calibrated);
    Ok(Calibration {
        worse_than_prior: cv.worse_than_prior(),
        fit,
        cv,
        budgets,
        calibrated,
        provenance,
    })
}

fn calibration_provenance(
    source: &EventSource,
    settings: &CalibrationSettings,
    cv: &CvReport,
    budgets: Option<&BTreeMap<Stratum, StratumBudget>>,
    calibrated: &Profile,
) -> Provenance {
    let mut fit_metrics = BTreeMap::new();
    let mut metric = |name: String, value: Option<f64>| {
        if let Some(v) = value {
            fit_metrics.insert(name, v);
        }
    };
    let overall = &cv.overall;
    metric("cv_smape_before".into(), overall.before.smape.mean);
    metric("cv_smape_after".into(), overall.after.smape.mean);
    metric(
        "cv_underestimation_before".into(),
        overall.before.underestimation.rate.fraction(),
    );
    metric(
        "cv_underestimation_after".into(),
        overall.after.underestimation.rate.fraction(),
    );
    metric("observations".into(), Some(overall.counts.observed as f64));
    metric("truncated".into(), Some(overall.counts.censored as f64));
    metric("folds".into(), Some(cv.folds as f64));
    metric("seed".into(), Some(cv.seed as f64));
    metric("min_samples".into(), Some(settings.cv.min_samples as f64));
    if let (Some(q), Some(budgets)) = (settings.quantile, budgets) {
        metric("quantile".into(), Some(q));
        for (stratum, budget) in budgets {
            metric(format!("budget_multiplier.{stratum}"), budget.multiplier);
        }
    }
    Provenance {
        method: format!(
            "tel calibrate --method {} from profile {}",
            settings.method, source.profile.id
        ),
        filters: source.filters.provenance_table(),
        time_range: source.provenance_time_range(),
        n: Some(source.prepared.observations.len() as i64),
        fit_metrics,
        content_hash: Some(calibrated.content_hash()),
        tel_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
    }
}

/// What the coefficients file of `tuned` (the budget rules of `report`, tuned on `source`) records about how
/// it was made.
pub fn tune_provenance(source: &EventSource, report: &TuneReport, tuned: &Profile) -> Provenance {
    let overall = &report.overall;
    let fit_metrics = BTreeMap::from([
        ("target_truncation".to_owned(), report.config.target),
        (
            "cv_truncation_lower".to_owned(),
            overall.score.truncation_rate[0],
        ),
        (
            "cv_truncation_upper".to_owned(),
            overall.score.truncation_rate[1],
        ),
        (
            "cv_truncation_estimated".to_owned(),
            overall.estimated_truncation,
        ),
        (
            "cv_total_budget".to_owned(),
            overall.score.total_budget as f64,
        ),
        ("events".to_owned(), overall.score.n as f64),
        ("truncated".to_owned(), overall.score.censored as f64),
        ("confidence_z".to_owned(), report.config.z),
        ("folds".to_owned(), report.config.folds as f64),
        ("seed".to_owned(), report.config.seed as f64),
    ]);
    Provenance {
        method: format!(
            "tel tune --target-truncation {} from profile {} ({} buckets)",
            format::share(report.config.target),
            source.profile.id,
            report.config.scheme
        ),
        filters: source.filters.provenance_table(),
        time_range: source.provenance_time_range(),
        n: Some(overall.score.n as i64),
        fit_metrics,
        content_hash: Some(tuned.content_hash()),
        tel_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
    }
}

/// `tel tune`'s cross-validated cost curve over every stored event with its default settings (profile
/// `v2-head`, confidence 0.99, 5 folds, seed 42), for the report.
pub fn default_cost_curve(
    conn: &mut DbConn,
    scheme: BucketScheme,
) -> Result<Vec<CurvePoint>, DbError> {
    let estimator = Estimator::v2_head();
    let source = read_source(conn, &EventQuery::default(), &estimator)?;
    let events = tune_events(&source.prepared, &estimator);
    let config = TuneConfig {
        target: CURVE_TARGETS[1],
        z: confidence_z(0.99).expect("0.99 is one of the tabulated confidence levels"),
        folds: 5,
        seed: 42,
        scheme,
        cap: estimator.profile().budget.cap,
    };
    Ok(cost_curve(&events, &config, &CURVE_TARGETS))
}
