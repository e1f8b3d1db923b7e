using System.Text;
using System.Text.Json;

namespace Carapace.Kms.Audit;

/// <summary>Builds the details JSON of an audit record. Only public facts go in: never a secret value or key byte.</summary>
internal sealed class AuditDetails
{
    private readonly List<(string Name, object Value)> _fields = [];

    public AuditDetails Add(string name, string? value)
    {
        if (value is not null)
        {
            _fields.Add((name, value));
        }

        return this;
    }

    public AuditDetails Add(string name, long value)
    {
        _fields.Add((name, value));
        return this;
    }

    public AuditDetails Add(string name, IEnumerable<string> values)
    {
        _fields.Add((name, values.ToArray()));
        return this;
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (name, value) in _fields)
            {
                switch (value)
                {
                    case string s:
                        w.WriteString(name, s);
                        break;
                    case long n:
                        w.WriteNumber(name, n);
                        break;
                    case string[] items:
                        w.WriteStartArray(name);
                        foreach (var item in items)
                        {
                            w.WriteStringValue(item);
                        }

                        w.WriteEndArray();
                        break;
                }
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
