// Package db owns kassa's connection to PostgreSQL: opening the pools,
// the embedded migrations, and the transaction helpers every domain package
// uses.
//
// Tenant isolation is enforced by PostgreSQL itself. The application never
// uses the role that owns the tables: tenant work runs as kassa_app inside
// [DB.InTenant], which sets kassa.merchant_id for that transaction only, and
// every tenant-owned table has a FORCE'd row-level security policy matching
// it. The few deliberate cross-tenant paths (finding the merchant behind a
// credential, processor callbacks, the billing runner) run as kassa_system
// through [DB.InSystem].
//
// Constraint names are part of the contract between migrations and domain
// packages: [ConstraintName] lets a package map a unique or check violation
// to its own typed error.
package db
