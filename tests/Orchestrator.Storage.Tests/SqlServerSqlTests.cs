using System.Data;
using Microsoft.Data.SqlClient;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using Orchestrator.Storage.SqlServer;

namespace Orchestrator.Storage.Tests;

/// <summary>SQL Server's syntax is checked on every run, server or not: each statement parses with the SQL Server 2022 parser.</summary>
public sealed class SqlServerSqlTests
{
    public static TheoryData<string> StatementNames() => [.. StatementCatalog.SqlServer().Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(StatementNames))]
    public void Statement_parses_as_TSql(string name)
    {
        var sql = StatementCatalog.SqlServer().Single(s => s.Name == name).Sql;
        new TSql160Parser(initialQuotedIdentifiers: true).Parse(new StringReader(sql), out var errors);
        Assert.True(errors.Count == 0, $"{name} does not parse:{Environment.NewLine}"
            + string.Join(Environment.NewLine, errors.Select(e => $"  line {e.Line}, column {e.Column}: {e.Message}")));
    }

    [Fact]
    public void The_catalog_holds_every_statement_and_migration()
    {
        var names = StatementCatalog.SqlServer().Select(s => s.Name).ToList();
        Assert.Contains("SqlServerSql.GetAppLock", names);
        Assert.Contains("SqlServerSql.Statements.ClaimWakeups", names);
        Assert.Equal(SqlServerMigrations.All.Count, names.Count(n => n.StartsWith("migration ", StringComparison.Ordinal)));
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void Migrations_are_numbered_from_one_without_gaps()
    {
        var expected = Enumerable.Range(1, SqlServerMigrations.All.Count);
        Assert.Equal(expected, SqlServerMigrations.All.Select(m => m.Version));
        Assert.Equal(expected, Orchestrator.Storage.Sqlite.SqliteMigrations.All.Select(m => m.Version));
    }

    [Fact]
    public void A_customer_lock_name_fits_sp_getapplock()
    {
        Assert.Equal("orchestrator:customer:c-01", SqlServerDialect.CustomerResource("c-01"));
        var longId = new string('x', 400);
        var resource = SqlServerDialect.CustomerResource(longId);
        Assert.True(resource.Length <= 255);
        Assert.NotEqual(resource, SqlServerDialect.CustomerResource(longId + "y"));
    }

    [Fact]
    public void Times_bind_as_datetimeoffset_even_when_null()
    {
        // A null in an object-typed parameter would go as sql_variant, which SQL Server does not convert to datetimeoffset.
        var dialect = new SqlServerDialect("Server=localhost", 30);
        using var command = new SqlCommand();
        dialect.Time(null).AddParameter(command, "wakeAt");
        dialect.Time(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.FromHours(1))).AddParameter(command, "at");
        var parameters = command.Parameters.Cast<SqlParameter>().ToList();
        Assert.All(parameters, p => Assert.Equal(SqlDbType.DateTimeOffset, p.SqlDbType));
        Assert.Equal(DBNull.Value, parameters[0].Value);
        Assert.Equal(TimeSpan.Zero, ((DateTimeOffset)parameters[1].Value).Offset);
    }
}
