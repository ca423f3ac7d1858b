using System.Reflection;
using Orchestrator.Storage.Relational;
using Orchestrator.Storage.Sqlite;
using Orchestrator.Storage.SqlServer;

namespace Orchestrator.Storage.Tests;

/// <summary>Every SQL text a provider can run, by name: the constants of its SQL class, its statement set and its migrations.</summary>
internal static class StatementCatalog
{
    public static IReadOnlyList<(string Name, string Sql)> SqlServer() => Collect(typeof(SqlServerSql), SqlServerSql.Statements, SqlServerMigrations.All);

    /// <summary>SQLite's statements without its migrations: those are compiled by applying them.</summary>
    public static IReadOnlyList<(string Name, string Sql)> Sqlite() => Collect(typeof(SqliteSql), SqliteSql.Statements, []);

    private static List<(string Name, string Sql)> Collect(Type sqlClass, SqlStatements statements, IReadOnlyList<Migration> migrations)
    {
        var all = new List<(string, string)>();
        // Public constants are statements; private ones are fragments spliced into them at compile time.
        all.AddRange(sqlClass.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => ($"{sqlClass.Name}.{f.Name}", (string)f.GetRawConstantValue()!)));
        all.AddRange(typeof(SqlStatements).GetProperties()
            .Select(p => ($"{sqlClass.Name}.Statements.{p.Name}", (string)p.GetValue(statements)!)));
        all.AddRange(migrations.Select(m => ($"migration {m.Version:000} {m.Name}", m.Sql)));
        return all;
    }
}
