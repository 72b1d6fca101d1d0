package graph

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
)

// coerceVariables coerces the values a request gives an operation's variables as the GraphQL specification's
// CoerceVariableValues and input coercion ask (https://spec.graphql.org/October2021/#sec-Input-Values):
//
//   - Int is a JSON number with an integral value within 32 bits: not the string "1", not 1.5, not 1e10;
//   - Float is a finite JSON number: not the string "NaN" or "Infinity";
//   - String is a JSON string, Boolean true or false, ID a string or an integral number;
//   - an enum is one of its values' names, exactly;
//   - an input object has only the type's fields (and __typename, which clients that send back an object
//     they received include), and every non-null field without a default;
//   - a list is a JSON array, or a single value taken as a list of one;
//   - null only where the type allows it, and a non-null variable without a default must be given.
//
// Custom scalars (Date, DateTime, JSON) are left to their own parsers. The first value that does not coerce
// is refused, naming the variable, where in it the value is, and the value. The returned map holds the
// operation's variables, with Int values in their plain integer form.
func coerceVariables(schema *ast.Schema, op *ast.OperationDefinition, values map[string]any) (map[string]any, *gqlerror.Error) {
	if len(op.VariableDefinitions) == 0 {
		return values, nil
	}
	out := make(map[string]any, len(op.VariableDefinitions))
	for _, def := range op.VariableDefinitions {
		v, given := values[def.Variable]
		if !given {
			if def.Type.NonNull && def.DefaultValue == nil {
				return nil, variableError("$"+def.Variable, "variable $%s of type %s is required, and the request gives no value for it", def.Variable, def.Type)
			}
			continue // gqlgen applies the default, if there is one
		}
		c := coercion{schema: schema}
		cv, err := c.value(v, def.Type, "$"+def.Variable)
		if err != nil {
			return nil, err
		}
		out[def.Variable] = cv
	}
	return out, nil
}

type coercion struct{ schema *ast.Schema }

func (c coercion) value(v any, t *ast.Type, path string) (any, *gqlerror.Error) {
	if v == nil {
		if t.NonNull {
			return nil, variableError(path, "%s is null, but its type %s does not allow null", describe(path), t)
		}
		return nil, nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			// A single value is a list of one.
			cv, err := c.value(v, t.Elem, path)
			if err != nil {
				return nil, err
			}
			return []any{cv}, nil
		}
		out := make([]any, len(list))
		for i, e := range list {
			cv, err := c.value(e, t.Elem, path+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			out[i] = cv
		}
		return out, nil
	}
	def := c.schema.Types[t.NamedType]
	if def == nil {
		return v, nil // validation has refused unknown types
	}
	switch def.Kind {
	case ast.Scalar:
		return c.scalar(v, def.Name, path)
	case ast.Enum:
		s, ok := v.(string)
		if ok && def.EnumValues.ForName(s) != nil {
			return s, nil
		}
		names := make([]string, len(def.EnumValues))
		for i, e := range def.EnumValues {
			names[i] = e.Name
		}
		err := variableError(path, "%s: %s is not a value of %s; give one of %s", describe(path), show(v), def.Name, strings.Join(names, ", "))
		if len(names) <= 30 {
			err.Extensions["validChoices"] = names
		}
		return nil, err
	case ast.InputObject:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, variableError(path, "%s: %s is not an input object %s; give a JSON object", describe(path), show(v), def.Name)
		}
		for name := range obj {
			if name != "__typename" && def.Fields.ForName(name) == nil {
				return nil, variableError(path+"."+name, "%s: %s has no field %s", describe(path+"."+name), def.Name, name)
			}
		}
		out := make(map[string]any, len(obj))
		for _, f := range def.Fields {
			fv, given := obj[f.Name]
			if !given {
				if f.Type.NonNull && f.DefaultValue == nil {
					return nil, variableError(path+"."+f.Name, "%s: the %s field %s of type %s is required", describe(path+"."+f.Name), def.Name, f.Name, f.Type)
				}
				continue
			}
			cv, err := c.value(fv, f.Type, path+"."+f.Name)
			if err != nil {
				return nil, err
			}
			out[f.Name] = cv
		}
		return out, nil
	}
	return v, nil // validation has refused variables of output types
}

func (c coercion) scalar(v any, name, path string) (any, *gqlerror.Error) {
	switch name {
	case "Int":
		if n, ok := integer(v); ok && n >= math.MinInt32 && n <= math.MaxInt32 {
			return json.Number(strconv.FormatInt(n, 10)), nil
		}
		return nil, variableError(path, "%s: %s is not an Int; give a whole number from %d to %d", describe(path), show(v), math.MinInt32, math.MaxInt32)
	case "Float":
		if f, ok := float(v); ok {
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
		}
		return nil, variableError(path, "%s: %s is not a Float; give a finite number", describe(path), show(v))
	case "String":
		if _, ok := v.(string); ok {
			return v, nil
		}
		return nil, variableError(path, "%s: %s is not a String; give a JSON string", describe(path), show(v))
	case "Boolean":
		if _, ok := v.(bool); ok {
			return v, nil
		}
		return nil, variableError(path, "%s: %s is not a Boolean; give true or false", describe(path), show(v))
	case "ID":
		if _, ok := v.(string); ok {
			return v, nil
		}
		if n, ok := integer(v); ok {
			return strconv.FormatInt(n, 10), nil
		}
		return nil, variableError(path, "%s: %s is not an ID; give a string", describe(path), show(v))
	}
	return v, nil // a custom scalar parses its own values
}

// integer returns the value of a JSON number that is a whole number an int64 holds: 3, 3.0 and 3e2 are,
// 3.5 and "3" are not.
func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		f, err := n.Float64()
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, false
		}
		return int64(f), true
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, false
		}
		return int64(n), true
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// float returns the value of a JSON number that is finite in a float64.
func float(v any) (float64, bool) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			return 0, false
		}
	case float64:
		f = n
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	default:
		return 0, false
	}
	return f, !math.IsInf(f, 0) && !math.IsNaN(f)
}

// describe names a variable, or a place in one, for a message: "variable $first", "variable $filter at
// filter.kind".
func describe(path string) string {
	i := strings.IndexAny(path, ".[")
	if i < 0 {
		return "variable " + path
	}
	return "variable " + path[:i] + " at " + path[1:]
}

// show writes a value as the client sent it, as JSON, cut short if long: the client's own data, never a
// large echo.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const maxShown = 60
	if len(b) <= maxShown {
		return string(b)
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…"
}

// variableError is a variable value that does not coerce: invalid input about the variable, which
// extensions.field names as $variable.path.
func variableError(path, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": string(directory.CodeInvalidInput), "field": path}}
}
