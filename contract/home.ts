/** The home page's data: `GET /api/v1/me/summary`. */

/** One of the caller's teams, as the catalog knows it, with how many entities it owns. */
export interface SummaryTeam {
  identifier: string;
  blueprint: string;
  title: string | null;
  owned: number;
}

/** An entity named on the home page. */
export interface SummaryEntity {
  identifier: string;
  blueprint: string;
  title: string | null;
}

/** What `GET /api/v1/me/summary` answers. */
export interface MeSummary {
  user: { id: string; name: string; role: string };
  /** The caller's teams (identity teams that exist in the catalog and are readable). */
  teams: SummaryTeam[];
  /** Distinct entities the teams own, in total and per blueprint (largest first). */
  owned: { total: number; byBlueprint: { blueprint: string; count: number }[] };
  /** The owned entities changed last. */
  recent: (SummaryEntity & { updatedAt: string | null; updatedBy: string | null })[];
  /** Scorecard levels of the owned entities: how many are at each level, per scorecard. */
  levels: { scorecard: string; level: string; count: number }[];
  /** The rules the owned entities fail most, with how many fail each. */
  failingRules: { scorecard: string; rule: string; failing: number }[];
  /** Open incidents and vulnerabilities pointing at owned entities, per blueprint, worst first. */
  signals: {
    blueprint: string;
    count: number;
    top: (SummaryEntity & { severity: string | null; status: string | null })[];
  }[];
}
